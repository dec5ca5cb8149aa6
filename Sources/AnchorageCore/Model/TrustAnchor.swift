public import AnchorageCrypto

/// A registered trust anchor: CA certificates, the CRLs imported for them, and whether it is enabled.
public struct TrustAnchor: Sendable {
    /// The directory name under `PKI/trust-anchors/`.
    public var name: String
    public var arn: ARN
    public var enabled: Bool
    /// The anchor's CA certificates, in file order.
    public var certificates: [Certificate]
    /// Every CRL imported for the anchor.
    public var revocationLists: [CertificateRevocationList]
    /// A path-building store over `certificates` and `revocationLists`.
    public var trustStore: TrustStore

    public init(
        name: String, arn: ARN, enabled: Bool, certificates: [Certificate], revocationLists: [CertificateRevocationList]
    ) throws(CryptoError) {
        self.name = name
        self.arn = arn
        self.enabled = enabled
        self.certificates = certificates
        self.revocationLists = revocationLists
        self.trustStore = try TrustStore(anchors: certificates, revocationLists: revocationLists)
    }
}
