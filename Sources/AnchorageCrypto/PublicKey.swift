internal import COpenSSL

/// A public key (RSA or EC) that verifies signatures.
public final class PublicKey: @unchecked Sendable {
    let pointer: OpaquePointer

    init(takingOwnershipOf pointer: OpaquePointer) { self.pointer = pointer }

    deinit { EVP_PKEY_free(pointer) }

    /// The kind and strength of a key, as policy decisions need it.
    public enum Kind: Equatable, Sendable, CustomStringConvertible {
        case rsa(bits: Int)
        /// `curve` is OpenSSL's group name: `prime256v1`, `secp384r1`, `secp521r1`, …
        case ec(curve: String)
        case other(String)

        public var description: String {
            switch self {
            case .rsa(let bits): return "RSA-\(bits)"
            case .ec(let curve): return "EC \(curve)"
            case .other(let name): return name
            }
        }
    }

    /// What kind of key this is.
    public var kind: Kind {
        switch EVP_PKEY_get_base_id(pointer) {
        case EVP_PKEY_RSA: return .rsa(bits: Int(EVP_PKEY_get_bits(pointer)))
        case EVP_PKEY_EC:
            var name = [CChar](repeating: 0, count: 64)
            var length = 0
            guard EVP_PKEY_get_utf8_string_param(pointer, OSSL_PKEY_PARAM_GROUP_NAME, &name, name.count, &length) == 1
            else { return .ec(curve: "unknown") }
            return .ec(curve: string(fromCBuffer: name))
        default:
            let name = EVP_PKEY_get0_type_name(pointer).map { String(cString: $0) } ?? "unknown"
            return .other(name)
        }
    }

    /// Verifies `signature` over `message` with SHA-256: RSA PKCS#1 v1.5, or ECDSA with a DER
    /// `Ecdsa-Sig-Value` — the two primitives of SigV4-X509.
    public func verifySHA256Signature(_ signature: [UInt8], over message: [UInt8]) -> Bool {
        ERR_clear_error()
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        var keyContext: OpaquePointer?
        guard EVP_DigestVerifyInit(context, &keyContext, EVP_sha256(), nil, pointer) == 1 else {
            ERR_clear_error()
            return false
        }
        if EVP_PKEY_get_base_id(pointer) == EVP_PKEY_RSA, let keyContext {
            guard COpenSSL_EVP_PKEY_CTX_set_rsa_padding(keyContext, RSA_PKCS1_PADDING) == 1 else { return false }
        }
        let result = signature.withUnsafeBufferPointer { sig in
            message.withUnsafeBufferPointer { msg in
                EVP_DigestVerify(context, sig.baseAddress, sig.count, msg.baseAddress, msg.count)
            }
        }
        ERR_clear_error()
        return result == 1
    }

    /// The DER SubjectPublicKeyInfo.
    public var subjectPublicKeyInfoDER: [UInt8] {
        var buffer: UnsafeMutablePointer<UInt8>?
        let length = i2d_PUBKEY(pointer, &buffer)
        guard length > 0, let buffer else { return [] }
        defer { COpenSSL_OPENSSL_free(buffer) }
        return Array(UnsafeBufferPointer(start: buffer, count: Int(length)))
    }
}
