public import AnchorageCore
import AnchorageCrypto
import Foundation

/// Loads `PKI/` and `Profiles/` (contract §3.3) into a ``Configuration``, strictly: every problem is
/// reported with its file and JSON path, and any problem means nothing is loaded.
///
/// `anchorage validate`, `serve` at start and every reload run this same loader.
public struct ConfigurationLoader: Sendable {
    public var pkiDirectory: String
    public var profilesDirectory: String

    public init(pkiDirectory: String, profilesDirectory: String) {
        self.pkiDirectory = pkiDirectory
        self.profilesDirectory = profilesDirectory
    }

    /// Reads and validates everything; throws ``ConfigurationError`` with every issue found.
    public func load(generation: Int) throws(ConfigurationError) -> Configuration {
        var issues: [ConfigurationIssue] = []
        let anchors = loadTrustAnchors(&issues)
        let roles = loadRoles(&issues)
        let profiles = loadProfiles(&issues)
        let revocations = loadRevocations(&issues)
        let upstreams = loadUpstreams(&issues)
        crossCheck(anchors: anchors, profiles: profiles, roles: roles, &issues)
        checkUpstreamNames(roles: roles.map { ($0.file, $0.value) }, upstreams: upstreams, &issues)
        guard issues.isEmpty else { throw ConfigurationError(issues: issues) }
        var configuration = Configuration(
            generation: generation, trustAnchors: anchors.map(\.value), profiles: profiles.map(\.value),
            roles: roles.map(\.value))
        configuration.revocations = revocations
        configuration.upstreams = upstreams
        return configuration
    }

    /// A digest of every file the configuration is made of (names, sizes, modification times), so a
    /// watcher can tell cheaply whether anything changed.
    public func fingerprint() -> String { ConfigurationTree.fingerprint([pkiDirectory, profilesDirectory]) }

    // MARK: - Trust anchors

    private struct Loaded<Value> {
        var file: String
        var value: Value
    }

    private func loadTrustAnchors(_ issues: inout [ConfigurationIssue]) -> [Loaded<TrustAnchor>] {
        let root = pkiDirectory + "/trust-anchors"
        guard directoryExists(pkiDirectory) else {
            issues.append(ConfigurationIssue(file: pkiDirectory, message: "directory does not exist"))
            return []
        }
        var out: [Loaded<TrustAnchor>] = []
        var crlArns: [String: String] = [:]
        for name in listDirectory(root) where directoryExists(root + "/" + name) {
            let directory = root + "/" + name
            let file = directory + "/anchor.json"
            guard let json = readJSON(file, &issues) else { continue }
            var schemaIssues: [SchemaError] = []
            let fields = JSONFields(json, path: "$", issues: &schemaIssues)
            let arnText = fields.string("trustAnchorArn", required: true, issues: &schemaIssues)
            let enabled = fields.bool("enabled", required: true, issues: &schemaIssues)
            fields.rejectUnknown(
                ResourceMetadata.keys.union(["trustAnchorArn", "enabled", "notificationSettings"]),
                issues: &schemaIssues)
            // The API's additions (contract §3.3 extended): checked with the rules the API applies.
            _ = ResourceMetadata.parse(json, issues: &schemaIssues)
            if let settings = json["notificationSettings"], settings != .null {
                do {
                    _ = try NotificationSetting.parseList(
                        settings, path: "$.notificationSettings", configuredBy: nil)
                } catch {
                    schemaIssues.append(error)
                }
            }
            var arn: ARN?
            if let arnText {
                arn = ARN(arnText)
                if arn == nil || arn?.service != "rolesanywhere" || arn?.hasResource(ofType: "trust-anchor") != true
                    || arn?.region.isEmpty == true || arn?.account.isEmpty == true
                {
                    schemaIssues.append(
                        SchemaError(path: "$.trustAnchorArn", message: "not a rolesanywhere trust-anchor ARN"))
                    arn = nil
                }
            }
            issues += schemaIssues.map { ConfigurationIssue(file: file, path: $0.path, message: $0.message) }

            let certificateFile = directory + "/certificates.pem"
            var certificates: [Certificate] = []
            if let bytes = readFile(certificateFile, &issues) {
                do {
                    certificates = try Certificate.parsePEMBundle(bytes)
                    if certificates.isEmpty {
                        issues.append(ConfigurationIssue(file: certificateFile, message: "holds no certificate"))
                    }
                    for (index, certificate) in certificates.enumerated() {
                        if !certificate.isCA || certificate.keyUsage.map({ !$0.contains(.keyCertSign) }) == true {
                            issues.append(
                                ConfigurationIssue(
                                    file: certificateFile, path: "certificate[\(index)]",
                                    message:
                                        "\(certificate.subjectString) is not a CA certificate (CA:TRUE, keyCertSign)"))
                        }
                    }
                } catch {
                    issues.append(ConfigurationIssue(file: certificateFile, message: "unreadable PEM: \(error)"))
                }
            }

            let revocationLists = loadCRLs(
                directory: directory + "/crls", certificates: certificates, anchorArn: arn, &crlArns, &issues)
            if let arn, let enabled, !certificates.isEmpty {
                do {
                    let anchor = try TrustAnchor(
                        name: name, arn: arn, enabled: enabled, certificates: certificates,
                        revocationLists: revocationLists)
                    out.append(Loaded(file: file, value: anchor))
                } catch {
                    issues.append(ConfigurationIssue(file: directory, message: "cannot build a trust store: \(error)"))
                }
            }
        }
        return out
    }

    /// The CRLs in force under `directory` (`*.pem`, `*.crl`); disabled ones (`*.disabled`) and sidecars
    /// (`*.json`, ``CRLFiles``) are checked as strictly but not returned.
    private func loadCRLs(
        directory: String, certificates: [Certificate], anchorArn: ARN?, _ crlArns: inout [String: String],
        _ issues: inout [ConfigurationIssue]
    ) -> [CertificateRevocationList] {
        var inForce: [CertificateRevocationList] = []
        let names = listDirectory(directory)
        var stems = Set<String>()
        for crlName in names {
            guard let (stem, enabled) = CRLFiles.dataFile(crlName) else { continue }
            let crlFile = directory + "/" + crlName
            if !stems.insert(stem).inserted {
                issues.append(ConfigurationIssue(file: crlFile, message: "another CRL file has the name \(stem)"))
            }
            guard let bytes = readFile(crlFile, &issues) else { continue }
            do {
                // A CRL's signature is checked against the issuing certificate of the path at request
                // time, since CRLs of intermediates cannot be checked against the anchor here.
                let lists = try CertificateRevocationList.parse(fileBytes: bytes)
                for (index, list) in lists.enumerated() {
                    let issuers = certificates.filter { list.isNamedAsIssuer($0) }
                    if !issuers.isEmpty, !issuers.contains(where: { list.isSignatureValid(issuedBy: $0) }) {
                        issues.append(
                            ConfigurationIssue(
                                file: crlFile, path: "crl[\(index)]",
                                message: "signature does not verify with the anchor certificate \(list.issuerString)"))
                    }
                }
                if enabled { inForce += lists }
            } catch {
                issues.append(ConfigurationIssue(file: crlFile, message: "unreadable CRL: \(error)"))
            }
        }
        for sidecarName in names {
            guard let stem = CRLFiles.sidecarStem(sidecarName) else { continue }
            let file = directory + "/" + sidecarName
            guard stems.contains(stem) else {
                issues.append(
                    ConfigurationIssue(file: file, message: "no CRL file \(stem).pem or \(stem).crl beside it"))
                continue
            }
            guard let json = readJSON(file, &issues) else { continue }
            var schemaIssues: [SchemaError] = []
            let fields = JSONFields(json, path: "$", issues: &schemaIssues)
            fields.rejectUnknown(CRLFiles.sidecarKeys, issues: &schemaIssues)
            _ = ResourceMetadata.parse(json, issues: &schemaIssues)
            if let text = fields.string("crlArn", required: true, issues: &schemaIssues) {
                let arn = ARN(text)
                if arn?.service != "rolesanywhere" || arn?.hasResource(ofType: "crl") != true {
                    schemaIssues.append(SchemaError(path: "$.crlArn", message: "not a rolesanywhere crl ARN"))
                } else if let arn, let anchorArn, arn.account != anchorArn.account || arn.region != anchorArn.region {
                    schemaIssues.append(
                        SchemaError(path: "$.crlArn", message: "must be in the trust anchor's account and region"))
                } else if let first = crlArns[text] {
                    schemaIssues.append(SchemaError(path: "$.crlArn", message: "duplicate ARN, also in \(first)"))
                } else {
                    crlArns[text] = file
                }
            }
            issues += schemaIssues.map { ConfigurationIssue(file: file, path: $0.path, message: $0.message) }
        }
        return inForce
    }

    // MARK: - Roles

    private func loadRoles(_ issues: inout [ConfigurationIssue]) -> [Loaded<Role>] {
        let root = profilesDirectory + "/roles"
        var out: [Loaded<Role>] = []
        for name in listDirectory(root) where name.hasSuffix(".json") {
            let file = root + "/" + name
            guard let json = readJSON(file, &issues) else { continue }
            var schemaIssues: [SchemaError] = []
            let decoded = RoleDocument.decode(json, issues: &schemaIssues)
            if let decoded, decoded.role.arn.resourceName + ".json" != name {
                let roleName = decoded.role.arn.resourceName
                schemaIssues.append(
                    SchemaError(path: "$.Arn", message: "role \(roleName) must live in \(roleName).json"))
            }
            issues += schemaIssues.map { ConfigurationIssue(file: file, path: $0.path, message: $0.message) }
            if let decoded, schemaIssues.isEmpty {
                out.append(Loaded(file: file, value: decoded.role))
            }
        }
        return out
    }

    // MARK: - Profiles

    private func loadProfiles(_ issues: inout [ConfigurationIssue]) -> [Loaded<Profile>] {
        guard directoryExists(profilesDirectory) else {
            issues.append(ConfigurationIssue(file: profilesDirectory, message: "directory does not exist"))
            return []
        }
        var out: [Loaded<Profile>] = []
        for name in listDirectory(profilesDirectory) where name.hasSuffix(".json") {
            let file = profilesDirectory + "/" + name
            guard let json = readJSON(file, &issues) else { continue }
            var schemaIssues: [SchemaError] = []
            let fields = JSONFields(json, path: "$", issues: &schemaIssues)
            let arnText = fields.string("profileArn", required: true, issues: &schemaIssues)
            let enabled = fields.bool("enabled", required: true, issues: &schemaIssues)
            let roleArns = fields.stringArray("roleArns", required: true, issues: &schemaIssues) ?? []
            let duration = fields.int("durationSeconds", required: false, issues: &schemaIssues) ?? 3600
            let accept = fields.bool("acceptRoleSessionName", required: false, issues: &schemaIssues) ?? false
            let sessionPolicy = fields.string("sessionPolicy", required: false, issues: &schemaIssues)
            let managed = fields.stringArray("managedPolicyArns", required: false, issues: &schemaIssues) ?? []
            fields.rejectUnknown(
                [
                    "profileArn", "enabled", "roleArns", "durationSeconds", "acceptRoleSessionName", "sessionPolicy",
                    "managedPolicyArns", "attributeMappings", "name", "requireInstanceProperties", "bindSourceIp",
                    "createdAt", "updatedAt", "tags",
                ], issues: &schemaIssues)
            _ = ResourceMetadata.parse(json, issues: &schemaIssues)
            let bindSourceIp = fields.bool("bindSourceIp", required: false, issues: &schemaIssues) ?? false
            _ = fields.bool("requireInstanceProperties", required: false, issues: &schemaIssues)
            var mappings: [AttributeMapping]?
            if let raw = json["attributeMappings"] {
                do {
                    mappings = try AttributeMapping.parse(raw, path: "$.attributeMappings")
                } catch {
                    schemaIssues.append(error)
                }
            }
            if !ProfileRules.durationSeconds.contains(duration) {
                schemaIssues.append(SchemaError(path: "$.durationSeconds", message: "must be 900-43200"))
            }
            if roleArns.count > ProfileRules.maximumRoleArns {
                schemaIssues.append(SchemaError(path: "$.roleArns", message: "at most 250 role ARNs"))
            }
            if managed.count > ProfileRules.maximumManagedPolicyArns {
                schemaIssues.append(SchemaError(path: "$.managedPolicyArns", message: "at most 50 policy ARNs"))
            }
            if let sessionPolicy, let problem = ProfileRules.problem(sessionPolicy: sessionPolicy) {
                schemaIssues.append(SchemaError(path: "$.sessionPolicy", message: problem))
            }
            var seenRoles = Set<String>()
            for (index, roleArn) in roleArns.enumerated() {
                let parsed = ARN(roleArn)
                if parsed?.service != "iam" || parsed?.hasResource(ofType: "role") != true {
                    schemaIssues.append(SchemaError(path: "$.roleArns[\(index)]", message: "not an IAM role ARN"))
                }
                if !seenRoles.insert(roleArn).inserted {
                    schemaIssues.append(SchemaError(path: "$.roleArns[\(index)]", message: "duplicate role ARN"))
                }
            }
            for (index, managedArn) in managed.enumerated() where ARN(managedArn) == nil {
                schemaIssues.append(SchemaError(path: "$.managedPolicyArns[\(index)]", message: "not an ARN"))
            }
            var arn: ARN?
            if let arnText {
                arn = ARN(arnText)
                if arn?.service != "rolesanywhere" || arn?.hasResource(ofType: "profile") != true
                    || arn?.region.isEmpty != false
                {
                    schemaIssues.append(SchemaError(path: "$.profileArn", message: "not a rolesanywhere profile ARN"))
                    arn = nil
                }
            }
            issues += schemaIssues.map { ConfigurationIssue(file: file, path: $0.path, message: $0.message) }
            if let arn, let enabled, schemaIssues.isEmpty {
                var profile = Profile(
                    name: String(name.dropLast(5)), arn: arn, enabled: enabled, roleArns: roleArns,
                    durationSeconds: duration, acceptRoleSessionName: accept, sessionPolicy: sessionPolicy,
                    managedPolicyArns: managed, attributeMappings: mappings)
                profile.bindSourceIp = bindSourceIp
                out.append(Loaded(file: file, value: profile))
            }
        }
        return out
    }

    // MARK: - Cross-references

    private func crossCheck(
        anchors: [Loaded<TrustAnchor>], profiles: [Loaded<Profile>], roles: [Loaded<Role>],
        _ issues: inout [ConfigurationIssue]
    ) {
        func duplicates<T>(_ items: [Loaded<T>], arn: (T) -> String, path: String) {
            var seen: [String: String] = [:]
            for item in items {
                let key = arn(item.value)
                if let first = seen[key] {
                    issues.append(
                        ConfigurationIssue(file: item.file, path: path, message: "duplicate ARN, also in \(first)"))
                } else {
                    seen[key] = item.file
                }
            }
        }
        duplicates(anchors, arn: { $0.arn.description }, path: "$.trustAnchorArn")
        duplicates(profiles, arn: { $0.arn.description }, path: "$.profileArn")
        duplicates(roles, arn: { $0.arn.description }, path: "$.Arn")
        // IAM role names are unique ignoring case (the IAM API refuses `Admin` beside `admin`); the files would not be.
        var roleNames: [String: String] = [:]
        for role in roles {
            // ASCII letters folded only, as IAM compares names: no other code point folds onto another.
            let folded = String(
                decoding: role.value.name.utf8.map { (65...90).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
            if let first = roleNames[folded] {
                issues.append(
                    ConfigurationIssue(
                        file: role.file, path: "$.Arn",
                        message: "role name \(role.value.name) differs only in case from the role in \(first)"))
            } else {
                roleNames[folded] = role.file
            }
        }
        let roleArns = Set(roles.map { $0.value.arn.description })
        for profile in profiles {
            for (index, roleArn) in profile.value.roleArns.enumerated() where !roleArns.contains(roleArn) {
                issues.append(
                    ConfigurationIssue(
                        file: profile.file, path: "$.roleArns[\(index)]",
                        message: "role \(roleArn) is not defined under \(profilesDirectory)/roles"))
            }
        }
    }

    // MARK: - Upstreams (UpstreamLoading.swift)

    /// `Profiles/upstreams`.
    public var upstreamsDirectory: String { profilesDirectory + "/upstreams" }

    private func loadUpstreams(_ issues: inout [ConfigurationIssue]) -> [String: Upstream] {
        var out: [String: Upstream] = [:]
        for name in listDirectory(upstreamsDirectory) where name.hasSuffix(".json") {
            let file = upstreamsDirectory + "/" + name
            guard let json = readJSON(file, &issues) else { continue }
            if let upstream = Self.upstream(name: String(name.dropLast(5)), file: file, json: json, &issues) {
                out[upstream.name] = upstream
            }
        }
        return out
    }

    // MARK: - Files

    private func directoryExists(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    private func listDirectory(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    private func readFile(_ path: String, _ issues: inout [ConfigurationIssue]) -> [UInt8]? {
        guard let data = FileManager.default.contents(atPath: path) else {
            issues.append(ConfigurationIssue(file: path, message: "missing or unreadable"))
            return nil
        }
        return [UInt8](data)
    }

    private func readJSON(_ path: String, _ issues: inout [ConfigurationIssue]) -> JSONValue? {
        guard let bytes = readFile(path, &issues) else { return nil }
        do {
            return try JSONParser.parse(bytes)
        } catch {
            issues.append(ConfigurationIssue(file: path, message: "invalid JSON: \(error)"))
            return nil
        }
    }
}
