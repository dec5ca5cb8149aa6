import AnchorageConfig
import AnchorageCore
import Foundation

/// The Roles Anywhere resources as the configuration files hold them, read per call (the files are the source
/// of truth: the CLI, GitOps and the API all change them) and written through ``ConfigurationEditor`` — validated
/// with the loader on a copy, atomic, under the configuration lock.
///
/// Every read is scoped to the caller's account and region: a resource of another account is never listed,
/// returned or changed.
struct RolesAnywhereStore: Sendable {
    let editor: ConfigurationEditor

    var pkiDirectory: String { editor.pkiDirectory }
    var profilesDirectory: String { editor.profilesDirectory }
    var anchorsDirectory: String { pkiDirectory + "/trust-anchors" }

    // MARK: - Reading

    func trustAnchors(for call: RolesAnywhereCall) -> [TrustAnchorRecord] {
        Self.list(anchorsDirectory).compactMap { name in
            guard let record = TrustAnchorRecord(directory: name, root: anchorsDirectory), call.owns(record.arn)
            else { return nil }
            return record
        }
    }

    func profiles(for call: RolesAnywhereCall) -> [ProfileRecord] {
        Self.list(profilesDirectory).filter { $0.hasSuffix(".json") }.compactMap { name in
            guard let record = ProfileRecord(stem: String(name.dropLast(5)), root: profilesDirectory),
                call.owns(record.arn)
            else { return nil }
            return record
        }
    }

    func crls(for call: RolesAnywhereCall) -> [CRLRecord] {
        trustAnchors(for: call).flatMap { anchor in
            let directory = anchorsDirectory + "/" + anchor.directory + "/crls"
            return Self.list(directory).compactMap { CRLRecord(anchor: anchor, fileName: $0, crlDirectory: directory) }
        }
    }

    /// The resource `id` of `records`, or — after checking the caller may act on the ARN it would have, so that
    /// an unauthorized caller cannot probe for existence — `ResourceNotFoundException`.
    func find<Record>(
        _ records: [Record], id: String, type: String, what: String, call: RolesAnywhereCall,
        recordId: (Record) -> String
    ) throws(ControlPlaneError) -> Record {
        guard let record = records.first(where: { recordId($0) == id }) else {
            try call.authorize(call.arn(type, id))
            throw RolesAnywhereErrors.notFound(what)
        }
        return record
    }

    // MARK: - Writing

    /// Runs `body` under the configuration lock — it reads what it changes there, so no concurrent writer's
    /// update is lost — and applies the change it returns. The loader's refusals become a ValidationException
    /// naming the field (`field` maps a file's JSON path to the request's member).
    func mutate<Output>(
        field: (ConfigurationIssue) -> String,
        _ body: () throws(ControlPlaneError) -> (change: ConfigurationChange?, output: Output)
    ) throws(ControlPlaneError) -> Output {
        var failure: ControlPlaneError?
        var output: Output?
        do throws(ConfigurationChangeError) {
            try editor.withLock { () throws(ConfigurationChangeError) in
                let result: (change: ConfigurationChange?, output: Output)
                do throws(ControlPlaneError) {
                    result = try body()
                } catch {
                    failure = error
                    return
                }
                if let change = result.change { try editor.applyLocked(change) }
                output = result.output
            }
        } catch {
            guard let issue = error.issues.first else { throw RolesAnywhereErrors.writeFailed(error.message) }
            throw RolesAnywhereErrors.validation(field(issue), unrooted(issue.message))
        }
        if let failure { throw failure }
        guard let output else { throw RolesAnywhereErrors.writeFailed("no change was made") }
        return output
    }

    /// The member a loader issue in a resource file is about: `$.roleArns[0]` → `roleArns[0]`; `fallback` for
    /// an issue about the whole file.
    static func member(_ issue: ConfigurationIssue, fallback: String) -> String {
        guard issue.path.hasPrefix("$."), issue.path.count > 2 else { return fallback }
        return String(issue.path.dropFirst(2))
    }

    /// `text` with the server's directories replaced by their role (never a host path on the wire).
    private func unrooted(_ text: String) -> String {
        text.replacingOccurrences(of: pkiDirectory, with: "PKI").replacingOccurrences(
            of: profilesDirectory, with: "Profiles")
    }

    /// A file or directory name for a new resource called `name`: the name with spaces as dashes when it is free
    /// and usable as a file name (`taken` holds the names in use), else that name with the id's first group.
    static func fileName(for name: String, id: String, taken: Set<String>) -> String {
        let base = String(name.map { $0 == " " ? "-" : $0 })
        if !base.hasPrefix("-"), !base.hasPrefix("."), base.count <= 128, !taken.contains(base) { return base }
        let prefixed = String(base.prefix(100)) + "-" + id.prefix(8)
        return prefixed.hasPrefix("-") || taken.contains(prefixed) ? id : prefixed
    }

    /// The visible entries of `path`, sorted.
    static func list(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    static func readJSON(_ path: String) -> JSONValue? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONParser.parse([UInt8](data))
    }
}
