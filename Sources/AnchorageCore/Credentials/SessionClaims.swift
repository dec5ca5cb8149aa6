/// Everything a session token carries, so any replica holding the keyring can verify requests
/// signed with the session's credentials without shared state.
public struct SessionClaims: Sendable, Equatable {
    public var accessKeyId: String
    /// The session's secret access key. Never logged.
    public var secretAccessKey: String
    public var roleArn: String
    public var roleSessionName: String
    public var sourceIdentity: String
    public var principalTags: [PrincipalTag]
    public var trustAnchorArn: String
    public var profileArn: String
    public var certificateSerialHex: String
    public var certificateSHA256: String
    /// The certificates that issued the leaf, from its issuer up to the anchor, so that revoking an issuing CA
    /// reaches the sessions issued through it. Empty in tokens sealed before they were recorded.
    public var issuerCertificates: [CertificateReference]
    /// Seconds since the Unix epoch.
    public var issuedAt: Int64
    /// Seconds since the Unix epoch.
    public var expiresAt: Int64
    /// The address that created the session, for optional binding.
    public var sourceAddress: String?
    /// The leaf certificate's subject and issuer DNs (for the audit log and GetSessionContext); absent in
    /// tokens sealed before they were recorded.
    public var certificateSubject: String?
    public var certificateIssuer: String?

    public init(
        accessKeyId: String, secretAccessKey: String, roleArn: String, roleSessionName: String, sourceIdentity: String,
        principalTags: [PrincipalTag], trustAnchorArn: String, profileArn: String, certificateSerialHex: String,
        certificateSHA256: String, issuerCertificates: [CertificateReference] = [], issuedAt: Int64, expiresAt: Int64,
        sourceAddress: String?, certificateSubject: String? = nil, certificateIssuer: String? = nil
    ) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.roleArn = roleArn
        self.roleSessionName = roleSessionName
        self.sourceIdentity = sourceIdentity
        self.principalTags = principalTags
        self.trustAnchorArn = trustAnchorArn
        self.profileArn = profileArn
        self.certificateSerialHex = certificateSerialHex
        self.certificateSHA256 = certificateSHA256
        self.issuerCertificates = issuerCertificates
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.sourceAddress = sourceAddress
        self.certificateSubject = certificateSubject
        self.certificateIssuer = certificateIssuer
    }

    /// The claims as compact JSON (sealed into every session token): keys `akid`, `sk`, `role`, `rsn`, `sid`,
    /// `tags`, `ta`, `prof`, `serial`, `fp`, `iat`, `exp`, then `src`, `subj`, `iss` and `cas` (the issuer
    /// certificates as `[serial, fingerprint]` pairs) when set.
    var jsonBytes: [UInt8] {
        var w = JSONByteWriter(capacity: 768)
        w.beginObject()
        w.member("akid", accessKeyId)
        w.member("sk", secretAccessKey)
        w.member("role", roleArn)
        w.member("rsn", roleSessionName)
        w.member("sid", sourceIdentity)
        w.key("tags")
        w.beginArray()
        for tag in principalTags {
            w.beginArray()
            w.string(tag.key)
            w.string(tag.value)
            w.endArray()
        }
        w.endArray()
        w.member("ta", trustAnchorArn)
        w.member("prof", profileArn)
        w.member("serial", certificateSerialHex)
        w.member("fp", certificateSHA256)
        w.key("iat")
        w.integer(issuedAt)
        w.key("exp")
        w.integer(expiresAt)
        if let sourceAddress { w.member("src", sourceAddress) }
        if let certificateSubject { w.member("subj", certificateSubject) }
        if let certificateIssuer { w.member("iss", certificateIssuer) }
        if !issuerCertificates.isEmpty {
            w.key("cas")
            w.beginArray()
            for certificate in issuerCertificates {
                w.beginArray()
                w.string(certificate.serialHex)
                w.string(certificate.sha256)
                w.endArray()
            }
            w.endArray()
        }
        w.endObject()
        return w.bytes
    }

    init?(json: JSONValue) {
        guard let akid = json["akid"]?.stringValue, let sk = json["sk"]?.stringValue,
            let role = json["role"]?.stringValue, let rsn = json["rsn"]?.stringValue,
            let sid = json["sid"]?.stringValue, case .array(let rawTags)? = json["tags"],
            let ta = json["ta"]?.stringValue, let prof = json["prof"]?.stringValue,
            let serial = json["serial"]?.stringValue, let fp = json["fp"]?.stringValue,
            let iat = json["iat"]?.intValue, let exp = json["exp"]?.intValue
        else { return nil }
        var tags: [PrincipalTag] = []
        for raw in rawTags {
            guard case .array(let pair) = raw, pair.count == 2, let k = pair[0].stringValue, let v = pair[1].stringValue
            else { return nil }
            tags.append(PrincipalTag(key: k, value: v))
        }
        var issuers: [CertificateReference] = []
        if let rawIssuers = json["cas"] {
            guard case .array(let items) = rawIssuers else { return nil }
            for raw in items {
                guard case .array(let pair) = raw, pair.count == 2, let serial = pair[0].stringValue,
                    let fingerprint = pair[1].stringValue
                else { return nil }
                issuers.append(CertificateReference(serialHex: serial, sha256: fingerprint))
            }
        }
        self.init(
            accessKeyId: akid, secretAccessKey: sk, roleArn: role, roleSessionName: rsn, sourceIdentity: sid,
            principalTags: tags, trustAnchorArn: ta, profileArn: prof, certificateSerialHex: serial,
            certificateSHA256: fp, issuerCertificates: issuers, issuedAt: Int64(iat), expiresAt: Int64(exp),
            sourceAddress: json["src"]?.stringValue,
            certificateSubject: json["subj"]?.stringValue, certificateIssuer: json["iss"]?.stringValue)
    }
}

/// A session tag derived from the certificate.
public struct PrincipalTag: Sendable, Equatable, Hashable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}
