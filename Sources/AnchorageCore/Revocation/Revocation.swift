/// One administrative revocation from `PKI/revocations.json`, written by `anchorage revoke`.
///
/// Certificate revocations (by serial or SHA-256 fingerprint) are absolute: the certificate can no
/// longer create sessions, and every session it created fails verification. Session revocations
/// (by access key id, trust anchor or role) stop sessions that already exist; the trust-anchor and role
/// kinds only reach sessions issued before `issuedBefore`, so new sessions keep working (to stop those,
/// disable the anchor or profile).
public struct Revocation: Sendable, Equatable {
    /// What a revocation selects.
    public enum Selector: Sendable, Equatable, Hashable {
        /// A certificate serial, normalised by ``RevocationIdentifiers/normalizedSerial(_:)``; optionally
        /// only certificates that chain to one trust anchor (serials are unique per CA, not globally).
        case certificateSerial(String, trustAnchorArn: String?)
        /// A certificate's SHA-256 fingerprint over its DER, 64 lowercase hex digits.
        case certificateSHA256(String)
        /// One session, by its access key id.
        case accessKey(String)
        /// Every session issued through a trust anchor before the instant.
        case trustAnchor(String, issuedBefore: Int64)
        /// Every session of a role issued before the instant.
        case role(String, issuedBefore: Int64)

        /// The `type` member in the file.
        public var typeName: String {
            switch self {
            case .certificateSerial: return "certificate-serial"
            case .certificateSHA256: return "certificate-sha256"
            case .accessKey: return "access-key"
            case .trustAnchor: return "trust-anchor"
            case .role: return "role"
            }
        }

        /// True for the kinds that also refuse CreateSession.
        public var isCertificate: Bool {
            switch self {
            case .certificateSerial, .certificateSHA256: return true
            default: return false
            }
        }
    }

    /// Unique within the file; `anchorage revoke --remove ID` refers to it.
    public var id: String
    public var selector: Selector
    /// Seconds since the Unix epoch.
    public var revokedAt: Int64
    /// Who ran `anchorage revoke` (login name), when known.
    public var revokedBy: String?
    public var reason: String?

    public init(id: String, selector: Selector, revokedAt: Int64, revokedBy: String? = nil, reason: String? = nil) {
        self.id = id
        self.selector = selector
        self.revokedAt = revokedAt
        self.revokedBy = revokedBy
        self.reason = reason
    }

    /// A one-line human description, e.g. `certificate-serial 0a1b (trust anchor arn:…)`.
    public var summary: String {
        switch selector {
        case .certificateSerial(let serial, let anchor):
            return "certificate-serial \(serial)" + (anchor.map { " (trust anchor \($0))" } ?? "")
        case .certificateSHA256(let fingerprint): return "certificate-sha256 \(fingerprint)"
        case .accessKey(let id): return "access-key \(id)"
        case .trustAnchor(let arn, let before):
            return "trust-anchor \(arn) sessions issued before \(UTCTimestamp.iso8601(before))"
        case .role(let arn, let before): return "role \(arn) sessions issued before \(UTCTimestamp.iso8601(before))"
        }
    }

    // MARK: - JSON

    /// The entry as it is stored in `revocations.json`.
    public var json: JSONValue {
        var members = [
            JSONMember(key: "id", value: .string(id)),
            JSONMember(key: "type", value: .string(selector.typeName)),
        ]
        switch selector {
        case .certificateSerial(let serial, let anchor):
            members.append(JSONMember(key: "serial", value: .string(serial)))
            if let anchor { members.append(JSONMember(key: "trustAnchorArn", value: .string(anchor))) }
        case .certificateSHA256(let fingerprint):
            members.append(JSONMember(key: "sha256", value: .string(fingerprint)))
        case .accessKey(let accessKeyId):
            members.append(JSONMember(key: "accessKeyId", value: .string(accessKeyId)))
        case .trustAnchor(let arn, let before):
            members.append(JSONMember(key: "trustAnchorArn", value: .string(arn)))
            members.append(JSONMember(key: "issuedBefore", value: .string(UTCTimestamp.iso8601(before))))
        case .role(let arn, let before):
            members.append(JSONMember(key: "roleArn", value: .string(arn)))
            members.append(JSONMember(key: "issuedBefore", value: .string(UTCTimestamp.iso8601(before))))
        }
        members.append(JSONMember(key: "revokedAt", value: .string(UTCTimestamp.iso8601(revokedAt))))
        if let revokedBy { members.append(JSONMember(key: "revokedBy", value: .string(revokedBy))) }
        if let reason { members.append(JSONMember(key: "reason", value: .string(reason))) }
        return .object(members)
    }

    /// Parses one entry strictly; `path` is its JSON path for errors (`$.revocations[3]`).
    public init(json: JSONValue, path: String) throws(SchemaError) {
        guard case .object(let members) = json else { throw SchemaError(path: path, message: "must be an object") }
        func string(_ key: String, required: Bool = true) throws(SchemaError) -> String? {
            guard let value = json[key] else {
                if required { throw SchemaError(path: "\(path).\(key)", message: "required") }
                return nil
            }
            if case .null = value, !required { return nil }
            guard let text = value.stringValue, !text.isEmpty else {
                throw SchemaError(path: "\(path).\(key)", message: "must be a non-empty string")
            }
            return text
        }
        func instant(_ key: String) throws(SchemaError) -> Int64 {
            let text = try string(key)!
            guard let seconds = UTCTimestamp.parseISO8601(text) else {
                throw SchemaError(path: "\(path).\(key)", message: "must be YYYY-MM-DDTHH:MM:SSZ")
            }
            return seconds
        }
        func arn(_ key: String, service: String, type: String) throws(SchemaError) -> String {
            let text = try string(key)!
            guard let parsed = ARN(text), parsed.service == service, parsed.resourceType == type else {
                throw SchemaError(path: "\(path).\(key)", message: "not a \(service) \(type) ARN")
            }
            return parsed.description
        }

        let id = try string("id")!
        guard id.utf8.count <= 64, id.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw SchemaError(path: "\(path).id", message: "must be 1-64 printable ASCII characters")
        }
        let type = try string("type")!
        var known: Set<String> = ["id", "type", "revokedAt", "revokedBy", "reason"]
        let selector: Selector
        switch type {
        case "certificate-serial":
            known.formUnion(["serial", "trustAnchorArn"])
            guard let serial = RevocationIdentifiers.normalizedSerial(try string("serial")!) else {
                throw SchemaError(path: "\(path).serial", message: "must be a hexadecimal serial number")
            }
            var anchor: String?
            if let value = json["trustAnchorArn"], value != .null {
                anchor = try arn("trustAnchorArn", service: "rolesanywhere", type: "trust-anchor")
            }
            selector = .certificateSerial(serial, trustAnchorArn: anchor)
        case "certificate-sha256":
            known.insert("sha256")
            guard let fingerprint = RevocationIdentifiers.normalizedSHA256(try string("sha256")!) else {
                throw SchemaError(path: "\(path).sha256", message: "must be 64 hexadecimal digits")
            }
            selector = .certificateSHA256(fingerprint)
        case "access-key":
            known.insert("accessKeyId")
            let accessKeyId = try string("accessKeyId")!
            guard RevocationIdentifiers.isAccessKeyId(accessKeyId) else {
                throw SchemaError(path: "\(path).accessKeyId", message: "not an access key id")
            }
            selector = .accessKey(accessKeyId)
        case "trust-anchor":
            known.formUnion(["trustAnchorArn", "issuedBefore"])
            selector = .trustAnchor(
                try arn("trustAnchorArn", service: "rolesanywhere", type: "trust-anchor"),
                issuedBefore: try instant("issuedBefore"))
        case "role":
            known.formUnion(["roleArn", "issuedBefore"])
            selector = .role(
                try arn("roleArn", service: "iam", type: "role"), issuedBefore: try instant("issuedBefore"))
        default:
            throw SchemaError(
                path: "\(path).type",
                message: "must be certificate-serial, certificate-sha256, access-key, trust-anchor or role")
        }
        for member in members where !known.contains(member.key) {
            throw SchemaError(path: "\(path).\(member.key)", message: "unknown key for type \(type)")
        }
        self.init(
            id: id, selector: selector, revokedAt: try instant("revokedAt"),
            revokedBy: try string("revokedBy", required: false),
            reason: try string("reason", required: false))
    }
}
