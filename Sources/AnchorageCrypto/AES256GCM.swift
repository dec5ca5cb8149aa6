internal import COpenSSL

/// AES-256-GCM authenticated encryption, for sealing session tokens.
public enum AES256GCM {
    /// Nonce length in bytes.
    public static let nonceLength = 12
    /// Tag length in bytes.
    public static let tagLength = 16

    /// The provider implementation, fetched once: `EVP_aes_256_gcm()` makes every init fetch it again.
    nonisolated(unsafe) private static let cipher: OpaquePointer? = EVP_CIPHER_fetch(nil, "AES-256-GCM", nil)

    /// Encrypts `plaintext`; returns ciphertext followed by the 16-byte tag.
    public static func seal(
        _ plaintext: [UInt8], key: [UInt8], nonce: [UInt8], authenticating aad: [UInt8]
    ) throws(CryptoError) -> [UInt8] {
        guard key.count == 32, nonce.count == nonceLength else { throw CryptoError("bad AES-GCM key or nonce length") }
        ERR_clear_error()
        guard let context = EVP_CIPHER_CTX_new() else { throw CryptoError.drainingQueue("out of memory") }
        defer { EVP_CIPHER_CTX_free(context) }
        var out = [UInt8](repeating: 0, count: plaintext.count + tagLength)
        var length: Int32 = 0
        var ok = EVP_EncryptInit_ex(context, cipher ?? EVP_aes_256_gcm(), nil, key, nonce) == 1
        ok = ok && EVP_EncryptUpdate(context, nil, &length, aad, Int32(aad.count)) == 1
        ok =
            ok
            && out.withUnsafeMutableBufferPointer { o in
                EVP_EncryptUpdate(context, o.baseAddress, &length, plaintext, Int32(plaintext.count))
            } == 1
        let written = Int(length)
        ok =
            ok
            && out.withUnsafeMutableBufferPointer { o in
                EVP_EncryptFinal_ex(context, o.baseAddress! + written, &length)
            } == 1
        ok =
            ok
            && out.withUnsafeMutableBufferPointer { o in
                EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, Int32(tagLength), o.baseAddress! + plaintext.count)
            } == 1
        guard ok else { throw CryptoError.drainingQueue("AES-GCM encryption failed") }
        return out
    }

    /// Decrypts and authenticates `sealed` (ciphertext + tag); nil when anything was altered.
    public static func open(_ sealed: [UInt8], key: [UInt8], nonce: [UInt8], authenticating aad: [UInt8]) -> [UInt8]? {
        guard key.count == 32, nonce.count == nonceLength, sealed.count >= tagLength else { return nil }
        ERR_clear_error()
        defer { ERR_clear_error() }
        guard let context = EVP_CIPHER_CTX_new() else { return nil }
        defer { EVP_CIPHER_CTX_free(context) }
        let ciphertextLength = sealed.count - tagLength
        var tag = Array(sealed[ciphertextLength...])
        var out = [UInt8](repeating: 0, count: max(ciphertextLength, 1))
        var length: Int32 = 0
        guard EVP_DecryptInit_ex(context, cipher ?? EVP_aes_256_gcm(), nil, key, nonce) == 1,
            EVP_DecryptUpdate(context, nil, &length, aad, Int32(aad.count)) == 1
        else { return nil }
        let updated = sealed.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { o in
                EVP_DecryptUpdate(context, o.baseAddress, &length, s.baseAddress, Int32(ciphertextLength))
            }
        }
        guard updated == 1, EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, Int32(tagLength), &tag) == 1 else {
            return nil
        }
        var finalLength: Int32 = 0
        let final = out.withUnsafeMutableBufferPointer { o in
            EVP_DecryptFinal_ex(context, o.baseAddress! + Int(length), &finalLength)
        }
        guard final == 1 else { return nil }
        return Array(out.prefix(ciphertextLength))
    }
}

/// Cryptographically secure random bytes from OpenSSL's DRBG.
public enum SecureRandom {
    /// `count` random bytes.
    public static func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        // RAND_bytes only fails when the DRBG cannot be seeded, which leaves no safe way to go on.
        precondition(RAND_bytes(&out, Int32(count)) == 1, "RAND_bytes failed")
        return out
    }
}
