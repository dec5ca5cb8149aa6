import AnchorageCore
import AnchorageCrypto
import Foundation

extension ConfigurationLoader {
    /// The keys of `Profiles/upstreams/<name>.json`.
    static let upstreamKeys: Set<String> = ["Endpoint", "Region", "CredentialsFile", "CABundle", "TimeoutSeconds"]
    /// The range of `TimeoutSeconds` (whole seconds).
    static let upstreamTimeouts = 1...60

    /// Decodes one upstream file strictly, and checks the files it names: the credentials file (owner-only, the
    /// keys present) and the CA bundle (PEM certificates). Relative paths are taken from the upstream file's
    /// directory. Appends every problem to `issues`; nil when there is any.
    static func upstream(name: String, file: String, json: JSONValue, _ issues: inout [ConfigurationIssue])
        -> Upstream?
    {
        var schemaIssues: [SchemaError] = []
        let fields = JSONFields(json, path: "$", issues: &schemaIssues)
        let endpointText = fields.string("Endpoint", required: true, issues: &schemaIssues)
        let region = fields.string("Region", required: true, issues: &schemaIssues)
        let credentialsText = fields.string("CredentialsFile", required: true, issues: &schemaIssues)
        let caText = fields.string("CABundle", required: false, issues: &schemaIssues)
        let timeout = fields.int("TimeoutSeconds", required: false, issues: &schemaIssues)
        fields.rejectUnknown(upstreamKeys, issues: &schemaIssues)
        var endpoint: UpstreamEndpoint?
        if let endpointText {
            do {
                endpoint = try UpstreamEndpoint(endpointText)
            } catch {
                schemaIssues.append(SchemaError(path: "$.Endpoint", message: error.message))
            }
        }
        if let region,
            region.isEmpty || region.count > 64
                || !region.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D })
        {
            schemaIssues.append(SchemaError(path: "$.Region", message: "must be a region name such as us-east-1"))
        }
        if let timeout, !upstreamTimeouts.contains(timeout) {
            schemaIssues.append(SchemaError(path: "$.TimeoutSeconds", message: "must be 1-60"))
        }
        let directory = (file as NSString).deletingLastPathComponent
        func resolved(_ path: String) -> String { path.hasPrefix("/") ? path : directory + "/" + path }
        for (key, value) in [("CredentialsFile", credentialsText), ("CABundle", caText)] where value?.isEmpty == true {
            schemaIssues.append(SchemaError(path: "$.\(key)", message: "must not be empty"))
        }
        issues += schemaIssues.map { ConfigurationIssue(file: file, path: $0.path, message: $0.message) }
        var filesSound = true
        if let credentialsText, !credentialsText.isEmpty {
            do {
                _ = try UpstreamCredentialsFile.read(resolved(credentialsText))
            } catch {
                filesSound = false
                issues += error.issues.map {
                    ConfigurationIssue(
                        file: $0.file, path: $0.path, message: "\($0.message) (CredentialsFile of upstream \(name))")
                }
            }
        }
        if let caText, !caText.isEmpty {
            let path = resolved(caText)
            if let data = FileManager.default.contents(atPath: path) {
                let certificates = try? Certificate.parsePEMBundle([UInt8](data))
                if certificates?.isEmpty != false {
                    filesSound = false
                    issues.append(
                        ConfigurationIssue(file: file, path: "$.CABundle", message: "\(path) holds no PEM certificate"))
                }
            } else {
                filesSound = false
                issues.append(
                    ConfigurationIssue(file: file, path: "$.CABundle", message: "\(path) is missing or unreadable"))
            }
        }
        guard schemaIssues.isEmpty, filesSound, let endpoint, let region, let credentialsText else { return nil }
        return Upstream(
            name: name, endpoint: endpoint, region: region, credentialsFile: resolved(credentialsText),
            caBundle: caText.map(resolved),
            timeoutSeconds: Double(timeout.map(Double.init) ?? Upstream.defaultTimeoutSeconds))
    }

    /// Every role's `"Upstream"` must name a file under `Profiles/upstreams/`.
    func checkUpstreamNames(
        roles: [(file: String, role: Role)], upstreams: [String: Upstream], _ issues: inout [ConfigurationIssue]
    ) {
        for (file, role) in roles {
            guard let name = role.upstream, upstreams[name] == nil else { continue }
            guard !name.isEmpty, !name.hasPrefix("."),
                name.utf8.allSatisfy({ byte in
                    (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                        || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
                        || byte == UInt8(ascii: ".")
                })
            else {
                issues.append(ConfigurationIssue(file: file, path: "$.Upstream", message: "not an upstream name"))
                continue
            }
            // A file that exists but did not load has its own issues already.
            if FileManager.default.fileExists(atPath: upstreamsDirectory + "/" + name + ".json") { continue }
            issues.append(
                ConfigurationIssue(
                    file: file, path: "$.Upstream",
                    message: "upstream \(name) is not defined under \(upstreamsDirectory)"))
        }
    }
}
