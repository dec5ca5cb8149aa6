public import AnchorageCrypto

/// What a CreateSession asks for once its signature is verified: the certificate, its chain and the
/// parameters. `anchorage explain` builds one directly from files.
public struct SessionRequest: Sendable {
    public var certificate: Certificate
    /// Untrusted chain certificates, any order.
    public var chain: [Certificate]
    public var trustAnchorArn: String
    public var profileArn: String
    public var roleArn: String
    public var durationSeconds: Int?
    public var roleSessionName: String?
    /// The caller's address (`aws:SourceIp`), when known.
    public var sourceAddress: String?

    public init(
        certificate: Certificate, chain: [Certificate], trustAnchorArn: String, profileArn: String, roleArn: String,
        durationSeconds: Int? = nil, roleSessionName: String? = nil, sourceAddress: String? = nil
    ) {
        self.certificate = certificate
        self.chain = chain
        self.trustAnchorArn = trustAnchorArn
        self.profileArn = profileArn
        self.roleArn = roleArn
        self.durationSeconds = durationSeconds
        self.roleSessionName = roleSessionName
        self.sourceAddress = sourceAddress
    }
}
