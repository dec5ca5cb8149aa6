/// The facts about the authenticating (leaf) certificate that policy and session naming need.
///
/// Filled in by the crypto layer after the chain has been verified; everything here is trusted.
public struct CertificateIdentity: Hashable, Sendable {
    /// The leaf certificate's subject.
    public var subject: DistinguishedName
    /// The leaf certificate's issuer.
    public var issuer: DistinguishedName
    /// `dNSName` entries of subjectAltName, in certificate order.
    public var sanDNSNames: [String]
    /// `uniformResourceIdentifier` entries of subjectAltName, in certificate order.
    public var sanURIs: [String]
    /// `directoryName` entries of subjectAltName, in certificate order.
    public var sanDirectoryNames: [DistinguishedName]
    /// The serial number's big-endian magnitude, as in the certificate (a leading 0x00 sign byte
    /// may be present; it is ignored).
    public var serialNumberBytes: [UInt8]

    /// Builds the identity; the SAN lists default to empty.
    public init(
        subject: DistinguishedName, issuer: DistinguishedName, sanDNSNames: [String] = [], sanURIs: [String] = [],
        sanDirectoryNames: [DistinguishedName] = [], serialNumberBytes: [UInt8]
    ) {
        self.subject = subject
        self.issuer = issuer
        self.sanDNSNames = sanDNSNames
        self.sanURIs = sanURIs
        self.sanDirectoryNames = sanDirectoryNames
        self.serialNumberBytes = serialNumberBytes
    }

    /// The serial in lowercase hex, two digits per byte (so always even length), without leading
    /// zero bytes: decimal 291 → `0123`. Used as the default role session name and in `ID=`
    /// source identities. A zero (or empty) serial is `00`.
    public var serialHex: String {
        var bytes = serialNumberBytes.drop { $0 == 0 }
        if bytes.isEmpty { bytes = [0] }
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] })
    }
}
