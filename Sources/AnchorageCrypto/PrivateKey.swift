internal import COpenSSL

/// A private key that signs: for the development PKI, the test suite and the credential helper.
public final class PrivateKey: @unchecked Sendable {
    let pointer: OpaquePointer

    init(takingOwnershipOf pointer: OpaquePointer) { self.pointer = pointer }

    deinit { EVP_PKEY_free(pointer) }

    /// The key types Anchorage generates.
    public enum Algorithm: Sendable {
        case ecP256, ecP384, ecP521
        case rsa(bits: Int)
    }

    /// Generates a fresh key.
    public static func generate(_ algorithm: Algorithm) throws(CryptoError) -> PrivateKey {
        ERR_clear_error()
        let key: OpaquePointer?
        switch algorithm {
        case .ecP256: key = generateEC("P-256")
        case .ecP384: key = generateEC("P-384")
        case .ecP521: key = generateEC("P-521")
        case .rsa(let bits):
            guard let context = EVP_PKEY_CTX_new_from_name(nil, "RSA", nil) else {
                throw CryptoError.drainingQueue("cannot create an RSA key context")
            }
            defer { EVP_PKEY_CTX_free(context) }
            var generated: OpaquePointer?
            guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_CTX_set_rsa_keygen_bits(context, Int32(bits)) == 1,
                EVP_PKEY_generate(context, &generated) == 1
            else { throw CryptoError.drainingQueue("RSA key generation failed") }
            key = generated
        }
        guard let key else { throw CryptoError.drainingQueue("key generation failed") }
        return PrivateKey(takingOwnershipOf: key)
    }

    private static func generateEC(_ curve: String) -> OpaquePointer? {
        guard let context = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else { return nil }
        defer { EVP_PKEY_CTX_free(context) }
        var generated: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1,
            curve.withCString({ EVP_PKEY_CTX_set_group_name(context, $0) }) == 1,
            EVP_PKEY_generate(context, &generated) == 1
        else { return nil }
        return generated
    }

    /// Reads an unencrypted PEM private key: PKCS#8, SEC1 (`EC PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`).
    public init(pemBytes: [UInt8], password: String? = nil) throws(CryptoError) {
        ERR_clear_error()
        if password == nil, let key = Self.decodeUnencryptedPKCS8(pemBytes) {
            pointer = key
            return
        }
        ERR_clear_error()
        let key: OpaquePointer?
        do {
            key = try withReadOnlyMemoryBIO(pemBytes) { bio in
                if let password {
                    return password.withCString { pass in
                        PEM_read_bio_PrivateKey(bio, nil, nil, UnsafeMutableRawPointer(mutating: pass))
                    }
                }
                // An empty passphrase callback stops OpenSSL from prompting on the terminal.
                return PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil)
            }
        } catch {
            throw error as? CryptoError ?? CryptoError("cannot read the private key")
        }
        guard let key else { throw CryptoError.drainingQueue("not a readable PEM private key") }
        pointer = key
    }

    /// The key of a PEM text that is one unencrypted PKCS#8 `PRIVATE KEY` block of an EC or RSA key, decoded by a
    /// decoder for that type alone; nil for anything else (or when it does not decode), which the caller then reads
    /// with `PEM_read_bio_PrivateKey`. Same key, a third of the set-up: in a process that loads one key and exits
    /// (`anchorage-helper`), OpenSSL 3.0's every-format decoder context is the largest single cost of the start.
    static func decodeUnencryptedPKCS8(_ pemBytes: [UInt8]) -> OpaquePointer? {
        let begin = Array("-----BEGIN ".utf8)
        var blocks = 0
        var index = 0
        while index + begin.count <= pemBytes.count {
            if pemBytes[index] == begin[0], pemBytes[index..<index + begin.count].elementsEqual(begin) { blocks += 1 }
            index += 1
        }
        guard blocks == 1, let der = pemBlocks(pemBytes, label: "PRIVATE KEY")?.first else { return nil }
        // PrivateKeyInfo ::= SEQUENCE { version INTEGER, privateKeyAlgorithm AlgorithmIdentifier, privateKey OCTET STRING, … }
        var outer = DERReader(der)
        guard let info = outer.read(tag: 0x30) else { return nil }
        var fields = DERReader(info)
        guard fields.read(tag: 0x02) != nil, let algorithm = fields.read(tag: 0x30) else { return nil }
        var identifier = DERReader(algorithm)
        let type: String
        switch identifier.read(tag: 0x06) {
        case [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01]: type = "EC"  // id-ecPublicKey
        case [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01]: type = "RSA"  // rsaEncryption
        default: return nil
        }
        return der.withUnsafeBufferPointer { buffer in
            COpenSSL_decode_private_key_der(buffer.baseAddress, buffer.count, "PrivateKeyInfo", type)
        }
    }

    /// The PKCS#8 PEM encoding (unencrypted): callers write it with mode 0600.
    public var pkcs8PEM: [UInt8] {
        get throws(CryptoError) {
            do {
                return try collectingMemoryBIO { bio in
                    PEM_write_bio_PrivateKey(bio, pointer, nil, nil, 0, nil, nil) == 1
                }
            } catch {
                throw error as? CryptoError ?? CryptoError("cannot serialise the private key")
            }
        }
    }

    /// The matching public key.
    public var publicKey: PublicKey {
        get throws(CryptoError) {
            let der = try subjectPublicKeyInfo()
            var cursor: UnsafePointer<UInt8>?
            let key: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
                cursor = buffer.baseAddress
                return d2i_PUBKEY(nil, &cursor, buffer.count)
            }
            guard let key else { throw CryptoError.drainingQueue("cannot derive the public key") }
            return PublicKey(takingOwnershipOf: key)
        }
    }

    private func subjectPublicKeyInfo() throws(CryptoError) -> [UInt8] {
        guard let der = derEncoded({ i2d_PUBKEY(pointer, $0) }) else {
            throw CryptoError.drainingQueue("cannot encode the public key")
        }
        return der
    }

    /// True for RSA keys, false for EC keys.
    public var isRSA: Bool { EVP_PKEY_get_base_id(pointer) == EVP_PKEY_RSA }

    /// Signs `message` with SHA-256: RSA PKCS#1 v1.5 or ECDSA (DER signature).
    public func signSHA256(_ message: [UInt8]) throws(CryptoError) -> [UInt8] {
        try sign(message, digestName: "SHA256")
    }

    /// Signs `message` with the named digest (`SHA256`, `SHA384`, `SHA512`).
    public func sign(_ message: [UInt8], digestName: String) throws(CryptoError) -> [UInt8] {
        ERR_clear_error()
        guard let context = EVP_MD_CTX_new() else { throw CryptoError.drainingQueue("out of memory") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_get_digestbyname(digestName) != nil else { throw CryptoError("unknown digest \(digestName)") }
        var keyContext: OpaquePointer?
        // A device key (tpm2 provider) must sign in its own provider: OpenSSL 3.0 would otherwise pick the
        // default provider's signer and export only the public half to it ("missing private key").
        let properties = providerName.flatMap { $0 == "default" ? nil : "?provider=\($0)" }
        guard EVP_DigestSignInit_ex(context, &keyContext, digestName, nil, properties, pointer, nil) == 1 else {
            throw CryptoError.drainingQueue("cannot initialise signing")
        }
        if isRSA, let keyContext { _ = COpenSSL_EVP_PKEY_CTX_set_rsa_padding(keyContext, RSA_PKCS1_PADDING) }
        var length = 0
        guard message.withUnsafeBufferPointer({ EVP_DigestSign(context, nil, &length, $0.baseAddress, $0.count) }) == 1
        else { throw CryptoError.drainingQueue("signing failed") }
        var signature = [UInt8](repeating: 0, count: length)
        let ok = message.withUnsafeBufferPointer { msg in
            EVP_DigestSign(context, &signature, &length, msg.baseAddress, msg.count)
        }
        guard ok == 1 else { throw CryptoError.drainingQueue("signing failed") }
        return Array(signature.prefix(length))
    }
}
