/// The two facts by which `anchorage revoke` names a certificate: its serial and its SHA-256 fingerprint.
public struct CertificateReference: Sendable, Equatable, Hashable {
    /// The serial number in hexadecimal, as ``RevocationIdentifiers/normalizedSerial(_:)`` accepts it.
    public var serialHex: String
    /// The SHA-256 fingerprint of the DER, 64 lowercase hex digits.
    public var sha256: String

    public init(serialHex: String, sha256: String) {
        self.serialHex = serialHex
        self.sha256 = sha256
    }
}
