import AnchorageConfig
import AnchorageCore
import AnchorageCrypto
import Foundation

/// Reads the resources of a configuration file by file, tolerating broken files, so `list` and `show`
/// work on a configuration that does not load (what cannot be read is reported on stderr).
struct Inventory {
    let workspace: ConfigurationWorkspace
    let console: AdminConsole

    struct AnchorEntry {
        var name: String
        var directory: String
        var json: JSONValue?
        var arn: String? { json?["trustAnchorArn"]?.stringValue }
        var enabled: Bool? { json?["enabled"]?.boolValue }
        var certificates: [Certificate]
        /// CRL file names under `crls/`, as the loader reads them (`*.pem`, `*.crl`).
        var crlFiles: [String]
    }

    struct JSONEntry {
        var name: String
        var file: String
        var json: JSONValue
    }

    // MARK: - Trust anchors

    var anchorsDirectory: String { workspace.pkiDirectory + "/trust-anchors" }

    func anchors() -> [AnchorEntry] {
        list(anchorsDirectory).filter { isDirectory(anchorsDirectory + "/" + $0) }.map(anchor(named:))
    }

    func anchor(named name: String) -> AnchorEntry {
        let directory = anchorsDirectory + "/" + name
        let json = readJSON(directory + "/anchor.json")
        var certificates: [Certificate] = []
        if let bytes = FileManager.default.contents(atPath: directory + "/certificates.pem") {
            do {
                certificates = try Certificate.parsePEMBundle([UInt8](bytes))
            } catch {
                console.note("warning: \(directory)/certificates.pem: \(error)")
            }
        }
        let crls = list(directory + "/crls").filter { $0.hasSuffix(".pem") || $0.hasSuffix(".crl") }
        return AnchorEntry(name: name, directory: directory, json: json, certificates: certificates, crlFiles: crls)
    }

    /// The anchor named `nameOrARN` (directory name or `trustAnchorArn`).
    func findAnchor(_ nameOrARN: String) throws(AdminError) -> AnchorEntry {
        if nameOrARN.hasPrefix("arn:") {
            guard let found = anchors().first(where: { $0.arn == nameOrARN }) else {
                throw AdminError("no trust anchor has the ARN \(nameOrARN)")
            }
            return found
        }
        guard !nameOrARN.contains("/"), nameOrARN != ".", nameOrARN != "..",
            isDirectory(anchorsDirectory + "/" + nameOrARN)
        else { throw AdminError("no trust anchor named \(nameOrARN) in \(anchorsDirectory)") }
        return anchor(named: nameOrARN)
    }

    // MARK: - Profiles and roles

    func profiles() -> [JSONEntry] {
        list(workspace.profilesDirectory).filter { $0.hasSuffix(".json") }.compactMap { name in
            let file = workspace.profilesDirectory + "/" + name
            return readJSON(file).map { JSONEntry(name: String(name.dropLast(5)), file: file, json: $0) }
        }
    }

    func findProfile(_ nameOrARN: String) throws(AdminError) -> JSONEntry {
        let match = profiles().first {
            nameOrARN.hasPrefix("arn:") ? $0.json["profileArn"]?.stringValue == nameOrARN : $0.name == nameOrARN
        }
        guard let match else { throw AdminError("no profile \(nameOrARN) in \(workspace.profilesDirectory)") }
        return match
    }

    var rolesDirectory: String { workspace.profilesDirectory + "/roles" }

    func roles() -> [JSONEntry] {
        list(rolesDirectory).filter { $0.hasSuffix(".json") }.compactMap { name in
            let file = rolesDirectory + "/" + name
            return readJSON(file).map { JSONEntry(name: String(name.dropLast(5)), file: file, json: $0) }
        }
    }

    func findRole(_ nameOrARN: String) throws(AdminError) -> JSONEntry {
        let match = roles().first {
            nameOrARN.hasPrefix("arn:") ? $0.json["Arn"]?.stringValue == nameOrARN : $0.name == nameOrARN
        }
        guard let match else { throw AdminError("no role \(nameOrARN) in \(rolesDirectory)") }
        return match
    }

    /// The ARN of a role given by name (looked up in `roles/<name>.json`) or by ARN (taken as is).
    func roleARN(_ nameOrARN: String) throws(AdminError) -> String {
        if nameOrARN.hasPrefix("arn:") { return nameOrARN }
        guard let arn = try findRole(nameOrARN).json["Arn"]?.stringValue else {
            throw AdminError("\(rolesDirectory)/\(nameOrARN).json has no Arn")
        }
        return arn
    }

    // MARK: - Files

    func list(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    func isDirectory(_ path: String) -> Bool {
        var flag: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &flag) && flag.boolValue
    }

    func readJSON(_ file: String) -> JSONValue? {
        guard let bytes = FileManager.default.contents(atPath: file) else {
            console.note("warning: cannot read \(file)")
            return nil
        }
        do {
            return try JSONParser.parse([UInt8](bytes))
        } catch {
            console.note("warning: \(file): invalid JSON: \(error)")
            return nil
        }
    }

    /// `path` relative to the configuration directory it is in, for the change's target.
    func relative(_ path: String, to root: String) -> String {
        path.hasPrefix(root + "/") ? String(path.dropFirst(root.count + 1)) : path
    }
}

extension Certificate {
    /// The certificate summary `list --json` and `show --json` print.
    var summaryJSON: JSONValue {
        .object([
            "subject": .string(subjectString), "issuer": .string(issuerString), "serialHex": .string(serialNumberHex),
            "notBefore": .string(UTCTimestamp.iso8601(notBefore)), "notAfter": .string(UTCTimestamp.iso8601(notAfter)),
            "sha256": .string(sha256Fingerprint),
        ])
    }
}
