/// The SigV4-X509 algorithms Anchorage verifies. ML-DSA (`AWS4-X509-MLDSA`) is refused: OpenSSL 3.0 has
/// no implementation, and a server must not claim to verify what it cannot.
public enum X509SigningAlgorithm: String, Sendable {
    case rsaSHA256 = "AWS4-X509-RSA-SHA256"
    case ecdsaSHA256 = "AWS4-X509-ECDSA-SHA256"
}
