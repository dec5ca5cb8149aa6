import AnchorageLocking
internal import COpenSSL

/// A public key (RSA or EC) that verifies signatures.
public final class PublicKey: @unchecked Sendable {
    let pointer: OpaquePointer

    /// What kind of key this is: read once, since asking the provider for the curve's name costs microseconds and
    /// CreateSession asks on every request.
    public let kind: Kind

    init(takingOwnershipOf pointer: OpaquePointer) {
        self.pointer = pointer
        kind = Self.kind(of: pointer)
    }

    /// The initialised verification context that ``verifySHA256Signature(_:over:)`` copies, made on first use.
    ///
    /// State of this key, not of the process: it is derived from the key alone, so it lives and dies with
    /// the `PublicKey`, which lives as long as its ``Certificate`` (in the owner's ``CertificateCache``)
    /// or ``PrivateKey``. No cache of its own is needed.
    private let verificationPrototype = Locked(VerificationPrototype())

    deinit {
        verificationPrototype.withLock { prototype in
            if let context = prototype.pointer { EVP_MD_CTX_free(context) }
        }
        EVP_PKEY_free(pointer)
    }

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

    private static func kind(of pointer: OpaquePointer) -> Kind {
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
        // Copying an initialised context skips the provider fetches (signature, digest) that
        // EVP_DigestVerifyInit repeats on every call in OpenSSL 3.0. The copy only reads the prototype;
        // the lock keeps that read from overlapping the prototype's creation or another copy.
        let copied = verificationPrototype.withLock { prototype -> Bool in
            if prototype.pointer == nil { prototype.pointer = makeVerificationContext() }
            guard let source = prototype.pointer else { return false }
            return EVP_MD_CTX_copy_ex(context, source) == 1
        }
        if copied {
            let result = signature.withUnsafeBufferPointer { sig in
                message.withUnsafeBufferPointer { msg in
                    EVP_DigestVerify(context, sig.baseAddress, sig.count, msg.baseAddress, msg.count)
                }
            }
            ERR_clear_error()
            return result == 1
        }
        ERR_clear_error()
        guard EVP_MD_CTX_reset(context) == 1 else { return false }
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

    /// An `EVP_DigestVerifyInit`-ed context for this key (SHA-256; PKCS#1 v1.5 padding for RSA), the
    /// prototype each verification copies; nil when OpenSSL refuses, and verification then initialises
    /// its own context.
    private func makeVerificationContext() -> VerificationPrototype.Context? {
        guard let context = EVP_MD_CTX_new() else { return nil }
        var keyContext: OpaquePointer?
        guard EVP_DigestVerifyInit(context, &keyContext, EVP_sha256(), nil, pointer) == 1 else {
            EVP_MD_CTX_free(context)
            ERR_clear_error()
            return nil
        }
        if EVP_PKEY_get_base_id(pointer) == EVP_PKEY_RSA, let keyContext {
            guard COpenSSL_EVP_PKEY_CTX_set_rsa_padding(keyContext, RSA_PKCS1_PADDING) == 1 else {
                EVP_MD_CTX_free(context)
                ERR_clear_error()
                return nil
            }
        }
        return context
    }

    /// The DER SubjectPublicKeyInfo.
    public var subjectPublicKeyInfoDER: [UInt8] {
        derEncoded { i2d_PUBKEY(pointer, $0) } ?? []
    }
}

/// The lazily made verification context of a ``PublicKey``, only touched under its lock.
struct VerificationPrototype: @unchecked Sendable {
    typealias Context = OpaquePointer
    var pointer: Context?
}
