public import AnchorageCrypto

/// A key that signs: a key in memory (`PrivateKey`) or one held by a token that never lets it out.
public protocol SigningKey: Sendable {
    /// True for RSA (PKCS#1 v1.5), false for ECDSA.
    var isRSA: Bool { get }
    /// Signs `message` with the named digest (`SHA256`, `SHA384`, `SHA512`); ECDSA signatures are DER.
    func signature(of message: [UInt8], digestName: String) throws(HelperError) -> [UInt8]
}

extension PrivateKey: SigningKey {
    public func signature(of message: [UInt8], digestName: String) throws(HelperError) -> [UInt8] {
        do {
            return try sign(message, digestName: digestName)
        } catch {
            throw HelperError("signing failed: \(error)")
        }
    }
}
