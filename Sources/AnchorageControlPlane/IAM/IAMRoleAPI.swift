public import AnchorageConfig
import AnchorageCore
import Foundation

/// The IAM role operations a Roles Anywhere admin needs, on the query protocol (`Action=…&Version=2010-05-08`,
/// XML answers as IAM spells them): `CreateRole`, `GetRole`, `ListRoles`, `UpdateRole`,
/// `UpdateAssumeRolePolicy`, `DeleteRole`, `TagRole`, `UntagRole`, `ListRoleTags`, `PutRolePolicy`,
/// `GetRolePolicy`, `DeleteRolePolicy`, `ListRolePolicies`.
///
/// The role files stay the source of truth: every read is of `Profiles/roles/<RoleName>.json`, every write is
/// ``ConfigurationWriter``'s atomic write under ``ConfigurationLock`` (the lock the admin commands take), and
/// what is written is first decoded by ``RoleDocument/decode(_:issues:)``, the loader's own decoder, so the API
/// never writes a file that `validate` or a reload would refuse. Reloads pick the change up like any edit.
public struct IAMRoleAPI: Sendable {
    public var writer: ConfigurationWriter

    public init(writer: ConfigurationWriter) { self.writer = writer }

    /// The operations, by `Action`.
    public static let actions: Set<String> = [
        "CreateRole", "GetRole", "ListRoles", "UpdateRole", "UpdateAssumeRolePolicy", "DeleteRole", "TagRole",
        "UntagRole", "ListRoleTags", "PutRolePolicy", "GetRolePolicy", "DeleteRolePolicy", "ListRolePolicies",
    ]

    /// Answers one request. `now` (seconds since the Unix epoch) dates new roles.
    public func handle(
        parameters: [(name: String, value: String)], caller: ControlPlaneCaller,
        authorizer: any ControlPlaneAuthorizing, requestId: String, now: Int64
    ) -> ControlPlaneResponse {
        let parameters = IAMParameters(parameters)
        let actionName = parameters["Action"] ?? ""
        let call = Call(
            parameters: parameters, caller: caller, authorizer: authorizer, requestId: requestId, now: now, api: self)
        guard Self.actions.contains(actionName) else {
            let shown = String(actionName.prefix(64))
            return call.failure(
                ControlPlaneError(
                    type: "InvalidAction", status: 400,
                    message: "Could not find operation \(shown) for version 2010-05-08", reason: "invalid_action"),
                action: "iam:" + shown, resource: nil, operation: shown.isEmpty ? "UnknownAction" : shown)
        }
        if let version = parameters["Version"], version != "2010-05-08" {
            return call.failure(
                ControlPlaneError(
                    type: "InvalidAction", status: 400,
                    message: "Could not find operation \(actionName) for version \(version.prefix(32))",
                    reason: "invalid_action"),
                action: "iam:" + actionName, resource: nil, operation: actionName)
        }
        return call.run(actionName)
    }

    // MARK: - Files

    /// A role file as read: its document, the Core role, and the file's modification time (the `CreateDate` of
    /// files written before the API kept one).
    struct StoredRole {
        var document: RoleDocument
        var role: Role
        var modified: Int64
    }

    func roleFile(_ name: String) -> String { writer.path(.profiles, "roles/\(name).json") }

    /// The role named `name`, nil when there is no file; a file that does not decode is an internal error (the
    /// loader refuses it too, so the server is already reporting it).
    func readRole(_ name: String) throws(ControlPlaneError) -> StoredRole? {
        let file = roleFile(name)
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        var issues: [SchemaError] = []
        guard let json = try? JSONParser.parse([UInt8](data)), let decoded = RoleDocument.decode(json, issues: &issues)
        else {
            throw ControlPlaneError(
                type: "ServiceFailure", status: 500, message: "The role file of \(name) does not load.",
                reason: "invalid_role_file")
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: file)
        let modified = (attributes?[.modificationDate] as? Date).map { Int64($0.timeIntervalSince1970) } ?? 0
        return StoredRole(document: decoded.document, role: decoded.role, modified: modified)
    }

    /// Every role file's name (without `.json`), sorted by code point.
    func roleNames() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: writer.path(.profiles, "roles"))) ?? []
        return names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.map { String($0.dropLast(5)) }
            .sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    /// The profile files listing `roleArn` (their names), read from disk.
    func profilesListing(_ roleArn: String) -> [String] {
        let directory = writer.directory(.profiles)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted().filter { name in
            guard let data = FileManager.default.contents(atPath: directory + "/" + name),
                let json = try? JSONParser.parse([UInt8](data)), case .array(let arns)? = json["roleArns"]
            else { return false }
            return arns.contains { $0.stringValue.map { CodePoints.equal($0, roleArn) } == true }
        }.map { String($0.dropLast(5)) }
    }

    /// Runs `change` under the configuration lock on the role file as it is now, then writes what it returns
    /// (or removes the file for nil) once the loader's decoder accepts it.
    func modify(
        _ name: String, _ change: (StoredRole?) throws(ControlPlaneError) -> RoleDocument?
    ) throws(ControlPlaneError) {
        let lock: ConfigurationLock
        do {
            lock = try ConfigurationLock(
                pkiDirectory: writer.pkiDirectory, profilesDirectory: writer.profilesDirectory,
                waitSeconds: ConfigurationEditor.apiLockWaitSeconds)
        } catch {
            throw Self.serviceFailure("lock: \(error)")
        }
        defer { lock.release() }
        let current = try readRole(name)
        guard let updated = try change(current) else {
            do {
                try AtomicFiles.removeFile(roleFile(name))
            } catch {
                throw Self.serviceFailure("remove: \(error)")
            }
            return
        }
        var issues: [SchemaError] = []
        guard RoleDocument.decode(updated.json, issues: &issues) != nil else {
            let first = issues.first.map { "\($0.path): \($0.message)" } ?? "invalid role"
            throw ControlPlaneError(
                type: "ValidationError", status: 400, message: "The role would not load: \(first)",
                reason: "validation_error")
        }
        do {
            try writer.writeRole(updated)
        } catch {
            throw Self.serviceFailure("write: \(error)")
        }
    }

    static func serviceFailure(_ detail: String) -> ControlPlaneError {
        ControlPlaneError(
            type: "ServiceFailure", status: 500,
            message: "The request processing has failed because of an unknown "
                + "error, exception or failure.", reason: "write_failed", detail: detail)
    }
}
