/// The revocations in force: `PKI/revocations.json`, indexed for constant-time matching on every request.
public struct RevocationList: Sendable {
    /// In file order.
    public private(set) var entries: [Revocation]

    private var bySerial: [String: [Int]] = [:]
    private var bySHA256: [String: Int] = [:]
    private var byAccessKey: [String: Int] = [:]
    private var byTrustAnchor: [String: [Int]] = [:]
    private var byRole: [String: [Int]] = [:]

    /// The facts of a session (or a certificate about to get one) that revocations select on.
    public struct Subject: Sendable {
        public var certificateSerialHex: String
        public var certificateSHA256: String
        public var trustAnchorArn: String
        /// The certificates that issued it, from its issuer up to the anchor (empty in session tokens sealed
        /// before they were recorded).
        public var issuerCertificates: [CertificateReference]
        public var accessKeyId: String?
        public var roleArn: String?
        /// Seconds since the Unix epoch; nil for a certificate that has no session yet.
        public var issuedAt: Int64?

        public init(
            certificateSerialHex: String, certificateSHA256: String, issuerCertificates: [CertificateReference] = [],
            trustAnchorArn: String, accessKeyId: String? = nil, roleArn: String? = nil, issuedAt: Int64? = nil
        ) {
            self.certificateSerialHex = certificateSerialHex
            self.certificateSHA256 = certificateSHA256
            self.issuerCertificates = issuerCertificates
            self.trustAnchorArn = trustAnchorArn
            self.accessKeyId = accessKeyId
            self.roleArn = roleArn
            self.issuedAt = issuedAt
        }
    }

    /// Indexes `entries`; ids must be unique (the loader checks).
    public init(_ entries: [Revocation] = []) {
        self.entries = entries
        for (index, entry) in entries.enumerated() {
            switch entry.selector {
            case .certificateSerial(let serial, _): bySerial[serial, default: []].append(index)
            case .certificateSHA256(let fingerprint): bySHA256[fingerprint] = bySHA256[fingerprint] ?? index
            case .accessKey(let id): byAccessKey[id] = byAccessKey[id] ?? index
            case .trustAnchor(let arn, _): byTrustAnchor[arn, default: []].append(index)
            case .role(let arn, _): byRole[arn, default: []].append(index)
            }
        }
    }

    public var isEmpty: Bool { entries.isEmpty }

    /// The revocation with `id`, if any.
    public func entry(withID id: String) -> Revocation? { entries.first { $0.id == id } }

    /// The first revocation of the certificate itself (serial or fingerprint): such a certificate may
    /// not create sessions, nor may any certificate it issued (``certificateRevocation(path:trustAnchorArn:)``).
    public func certificateRevocation(serialHex: String, sha256: String, trustAnchorArn: String) -> Revocation? {
        if entries.isEmpty { return nil }
        if let index = bySHA256[sha256.lowercased()] { return entries[index] }
        guard let serial = RevocationIdentifiers.normalizedSerial(serialHex), let indexes = bySerial[serial] else {
            return nil
        }
        for index in indexes {
            guard case .certificateSerial(_, let anchor) = entries[index].selector else { continue }
            if anchor == nil || anchor == trustAnchorArn { return entries[index] }
        }
        return nil
    }

    /// The first revocation of any certificate of a certification path (leaf first), with the position of
    /// the revoked certificate: revoking an issuing CA revokes every certificate it issued.
    public func certificateRevocation(path: [CertificateReference], trustAnchorArn: String) -> (
        revocation: Revocation, depth: Int
    )? {
        if entries.isEmpty { return nil }
        for (depth, certificate) in path.enumerated() {
            if let found = certificateRevocation(
                serialHex: certificate.serialHex, sha256: certificate.sha256, trustAnchorArn: trustAnchorArn)
            {
                return (found, depth)
            }
        }
        return nil
    }

    /// The first revocation that reaches a session with `subject`'s facts, or nil.
    public func revocation(matching subject: Subject) -> Revocation? {
        if entries.isEmpty { return nil }
        let path =
            [CertificateReference(serialHex: subject.certificateSerialHex, sha256: subject.certificateSHA256)]
            + subject.issuerCertificates
        if let found = certificateRevocation(path: path, trustAnchorArn: subject.trustAnchorArn) {
            return found.revocation
        }
        if let accessKeyId = subject.accessKeyId, let index = byAccessKey[accessKeyId] { return entries[index] }
        guard let issuedAt = subject.issuedAt else { return nil }
        for index in byTrustAnchor[subject.trustAnchorArn] ?? [] {
            if case .trustAnchor(_, let before) = entries[index].selector, issuedAt < before { return entries[index] }
        }
        if let roleArn = subject.roleArn {
            for index in byRole[roleArn] ?? [] {
                if case .role(_, let before) = entries[index].selector, issuedAt < before { return entries[index] }
            }
        }
        return nil
    }

    // MARK: - File

    /// The file's JSON: `{"revocations": [ … ]}`.
    public var json: JSONValue {
        .object([JSONMember(key: "revocations", value: .array(entries.map(\.json)))])
    }

    /// Parses the file strictly: unknown keys, malformed entries and duplicate ids are errors.
    public init(json: JSONValue) throws(SchemaError) {
        guard case .object(let members) = json else { throw SchemaError(path: "$", message: "must be an object") }
        for member in members where member.key != "revocations" {
            throw SchemaError(path: "$.\(member.key)", message: "unknown key")
        }
        guard case .array(let values)? = json["revocations"] else {
            throw SchemaError(path: "$.revocations", message: "must be an array")
        }
        var entries: [Revocation] = []
        var ids = Set<String>()
        for (index, value) in values.enumerated() {
            let entry = try Revocation(json: value, path: "$.revocations[\(index)]")
            guard ids.insert(entry.id).inserted else {
                throw SchemaError(path: "$.revocations[\(index)].id", message: "duplicate id \"\(entry.id)\"")
            }
            entries.append(entry)
        }
        self.init(entries)
    }
}
