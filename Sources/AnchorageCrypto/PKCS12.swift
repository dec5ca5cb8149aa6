internal import COpenSSL

/// The contents of a PKCS#12 (`.p12`/`.pfx`) bundle: a private key, its certificate, and the other
/// certificates the bundle carries (usually the issuing chain), in file order.
public struct PKCS12Bundle: Sendable {
    public let privateKey: PrivateKey
    public let certificate: Certificate
    public let chain: [Certificate]

    /// Parses a DER PKCS#12 file. `password` may be empty (OpenSSL then tries both the empty and the
    /// absent password, as bundles exported without one use either).
    public init(derBytes: [UInt8], password: String = "") throws(CryptoError) {
        ERR_clear_error()
        let parsed: OpaquePointer? = derBytes.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_PKCS12(nil, &cursor, buffer.count)
        }
        guard let p12 = parsed else { throw CryptoError.drainingQueue("not a DER PKCS#12 bundle") }
        defer { PKCS12_free(p12) }
        var key: OpaquePointer?
        var leaf: OpaquePointer?
        var extra: OpaquePointer?
        let ok = password.withCString { PKCS12_parse(p12, $0, &key, &leaf, &extra) }
        defer { if let extra { COpenSSL_sk_X509_pop_free(extra) } }
        guard ok == 1 else {
            if let key { EVP_PKEY_free(key) }
            if let leaf { X509_free(leaf) }
            throw CryptoError.drainingQueue("cannot open the PKCS#12 bundle (wrong password or unsupported encryption)")
        }
        guard let key, let leaf else {
            if let key { EVP_PKEY_free(key) }
            if let leaf { X509_free(leaf) }
            throw CryptoError("the PKCS#12 bundle must hold a private key and its certificate")
        }
        privateKey = PrivateKey(takingOwnershipOf: key)
        defer { X509_free(leaf) }
        certificate = try Certificate(derBytes: Self.der(of: leaf))
        var chain: [Certificate] = []
        if let extra {
            for index in 0..<COpenSSL_sk_X509_num(extra) {
                guard let cert = COpenSSL_sk_X509_value(extra, index) else { continue }
                chain.append(try Certificate(derBytes: Self.der(of: cert)))
            }
        }
        self.chain = chain
    }

    private static func der(of certificate: OpaquePointer) throws(CryptoError) -> [UInt8] {
        guard let der = derEncoded({ i2d_X509(certificate, $0) }) else {
            throw CryptoError.drainingQueue("cannot encode a certificate")
        }
        return der
    }
}
