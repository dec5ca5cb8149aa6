internal import COpenSSL

extension PrivateKey {
    /// True when `publicKey` is this key's public half (same algorithm, parameters and value).
    public func matches(_ publicKey: PublicKey) -> Bool {
        let equal = EVP_PKEY_eq(pointer, publicKey.pointer) == 1
        ERR_clear_error()
        return equal
    }

    /// True when `pem` holds a PKCS#8 `ENCRYPTED PRIVATE KEY` block (or a legacy `Proc-Type: 4,ENCRYPTED`
    /// header), so a caller can ask for a password instead of reporting an unreadable key.
    public static func isEncryptedPEM(_ pem: [UInt8]) -> Bool {
        let text = String(decoding: pem, as: UTF8.self)
        return text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") || text.contains("Proc-Type: 4,ENCRYPTED")
    }
}

extension PublicKey {
    /// The subjectPublicKey bit string of the SubjectPublicKeyInfo: the uncompressed EC point
    /// (`04 ‖ X ‖ Y`) for EC keys, the PKCS#1 `RSAPublicKey` DER for RSA keys — what Go's
    /// `elliptic.Marshal` and `x509.MarshalPKCS1PublicKey` produce.
    public var subjectPublicKeyBytes: [UInt8] {
        var reader = DERReader(subjectPublicKeyInfoDER)
        guard var spki = reader.read(tag: 0x30).map(DERReader.init),
            spki.read(tag: 0x30) != nil,
            let bits = spki.read(tag: 0x03), let unused = bits.first, unused == 0
        else { return [] }
        return Array(bits.dropFirst())
    }

    /// Verifies `signature` over `message` with the named digest (`SHA256`, `SHA384`, `SHA512`):
    /// RSA PKCS#1 v1.5 or ECDSA (DER).
    public func verify(_ signature: [UInt8], over message: [UInt8], digestName: String) -> Bool {
        ERR_clear_error()
        defer { ERR_clear_error() }
        guard let md = EVP_get_digestbyname(digestName), let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        var keyContext: OpaquePointer?
        guard EVP_DigestVerifyInit(context, &keyContext, md, nil, pointer) == 1 else { return false }
        if EVP_PKEY_get_base_id(pointer) == EVP_PKEY_RSA, let keyContext {
            guard COpenSSL_EVP_PKEY_CTX_set_rsa_padding(keyContext, RSA_PKCS1_PADDING) == 1 else { return false }
        }
        return signature.withUnsafeBufferPointer { sig in
            message.withUnsafeBufferPointer { msg in
                EVP_DigestVerify(context, sig.baseAddress, sig.count, msg.baseAddress, msg.count)
            }
        } == 1
    }
}

/// Reads definite-length DER TLVs one after the other; enough for SubjectPublicKeyInfo.
struct DERReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The content of the next element when its tag is `tag`; nil (and no progress) otherwise.
    mutating func read(tag: UInt8) -> [UInt8]? {
        guard offset + 2 <= bytes.count, bytes[offset] == tag else { return nil }
        var cursor = offset + 1
        var length = Int(bytes[cursor])
        cursor += 1
        if length & 0x80 != 0 {
            let count = length & 0x7F
            guard count >= 1, count <= 4, cursor + count <= bytes.count else { return nil }
            length = 0
            for byte in bytes[cursor..<cursor + count] { length = length << 8 | Int(byte) }
            cursor += count
        }
        guard length >= 0, cursor + length <= bytes.count else { return nil }
        offset = cursor + length
        return Array(bytes[cursor..<cursor + length])
    }
}
