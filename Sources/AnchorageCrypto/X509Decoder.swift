internal import COpenSSL
internal import CX509Keyless

/// DER to `X509 *`, without OpenSSL 3.0's per-certificate key-decoder setup.
///
/// `d2i_X509` on OpenSSL 3.0 spends about two thirds of its time building a fresh `OSSL_DECODER` context for the
/// public key (3.1 caches them). A certificate never seen before pays it on its request, so this decodes the
/// certificate with key decoding disabled and builds the key from the SubjectPublicKeyInfo fields (EC P-256,
/// P-384, P-521 and RSA; see `CX509Keyless_X509_install_public_key`). Anything else, and any OpenSSL but 3.0.x,
/// goes through `d2i_X509` unchanged, so the result is always the certificate `d2i_X509` would give.
enum X509Decoder {
    /// A library context with no key decoders; nil on an OpenSSL other than 3.0.x (whose `d2i_X509` needs no help,
    /// and where a keyless parse would only be parsed again) or if it cannot be made: every parse then uses `d2i_X509`.
    private nonisolated(unsafe) static let keyless: OpaquePointer? =
        CX509Keyless_parse_supported() == 1 ? CX509Keyless_library_context() : nil

    /// Keys on the generator of each NIST curve, copied for every EC key built (see `CX509Keyless_ec_key_template`).
    private nonisolated(unsafe) static let ecTemplates = CX509Keyless_EC_key_templates(
        p256: CX509Keyless_ec_key_template(NID_X9_62_prime256v1), p384: CX509Keyless_ec_key_template(NID_secp384r1),
        p521: CX509Keyless_ec_key_template(NID_secp521r1))

    /// Whether the fast path is available in this process (OpenSSL 3.0.x and the keyless context loaded).
    static var hasFastPath: Bool { keyless != nil }

    /// The running libcrypto's version text, such as "OpenSSL 3.0.19 27 Jan 2026".
    static var libraryVersion: String { OpenSSL_version(OPENSSL_VERSION).map { String(cString: $0) } ?? "" }

    /// One parsed certificate.
    struct Decoded {
        var x509: OpaquePointer
        /// The bytes of the buffer the certificate took.
        var consumed: Int
        /// Whether the key was built from its fields rather than by `d2i_X509`.
        var keyBuiltFromFields: Bool
    }

    /// Parses one certificate from the start of `buffer`, or nil. `fastPath: false` is `d2i_X509` alone.
    static func decode(_ buffer: UnsafeBufferPointer<UInt8>, fastPath: Bool = true) -> Decoded? {
        guard let base = buffer.baseAddress else { return nil }
        if fastPath, let keyless {
            var cursor: UnsafePointer<UInt8>? = base
            if let parsed = CX509Keyless_d2i_X509(&cursor, buffer.count, keyless) {
                if CX509Keyless_X509_install_public_key(parsed, ecTemplates) == 1, let cursor {
                    return Decoded(x509: parsed, consumed: cursor - base, keyBuiltFromFields: true)
                }
                X509_free(parsed)
            }
            // What the attempt left in the error queue is not about the parse below.
            ERR_clear_error()
        }
        var cursor: UnsafePointer<UInt8>? = base
        guard let parsed = d2i_X509(nil, &cursor, buffer.count) else { return nil }
        guard let cursor else {
            X509_free(parsed)
            return nil
        }
        return Decoded(x509: parsed, consumed: cursor - base, keyBuiltFromFields: false)
    }
}
