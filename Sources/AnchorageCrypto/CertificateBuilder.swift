internal import COpenSSL

/// Issues X.509 v3 certificates through OpenSSL's library, for `serve --dev` and tests.
public struct CertificateBuilder: Sendable {
    /// Subject attributes in order, e.g. `[("O", "Anchorage Dev"), ("CN", "workload")]`.
    public var subject: [(String, String)]
    public var notBefore: Int64
    public var notAfter: Int64
    public var isCA = false
    /// `pathlen` for CA certificates, nil for none.
    public var pathLength: Int?
    /// keyUsage extension value in OpenSSL config syntax, e.g. `digitalSignature` or `keyCertSign,cRLSign`.
    public var keyUsage: String?
    /// extendedKeyUsage value, e.g. `serverAuth` or `clientAuth`.
    public var extendedKeyUsage: String?
    /// subjectAltName value, e.g. `DNS:localhost,IP:127.0.0.1`.
    public var subjectAlternativeName: String?
    /// Serial magnitude; random 16 bytes (top bit clear) when nil.
    public var serialNumber: [UInt8]?

    public init(subject: [(String, String)], notBefore: Int64, notAfter: Int64) {
        self.subject = subject
        self.notBefore = notBefore
        self.notAfter = notAfter
    }

    /// Issues a certificate for `subjectKey`, signed with SHA-256 by `issuerKey`.
    /// - Parameter issuer: the issuing certificate, or nil for a self-signed certificate.
    public func issue(for subjectKey: PrivateKey, issuer: Certificate?, issuerKey: PrivateKey) throws(CryptoError)
        -> Certificate
    {
        ERR_clear_error()
        guard let x509 = X509_new() else { throw CryptoError.drainingQueue("out of memory") }
        defer { X509_free(x509) }
        guard X509_set_version(x509, 2) == 1 else { throw CryptoError.drainingQueue("cannot set version") }

        var serial = serialNumber ?? SecureRandom.bytes(16)
        if serialNumber == nil { serial[0] &= 0x7F }
        guard let bn = BN_bin2bn(serial, Int32(serial.count), nil) else { throw CryptoError.drainingQueue("serial") }
        defer { BN_free(bn) }
        guard BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x509)) != nil else {
            throw CryptoError.drainingQueue("cannot set serial")
        }
        guard ASN1_TIME_set(X509_getm_notBefore(x509), time_t(notBefore)) != nil,
            ASN1_TIME_set(X509_getm_notAfter(x509), time_t(notAfter)) != nil
        else { throw CryptoError.drainingQueue("cannot set validity") }

        guard let name = X509_NAME_new() else { throw CryptoError.drainingQueue("out of memory") }
        defer { X509_NAME_free(name) }
        for (field, value) in subject {
            guard X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, value, -1, -1, 0) == 1 else {
                throw CryptoError.drainingQueue("bad subject attribute \(field)")
            }
        }
        guard X509_set_subject_name(x509, name) == 1 else { throw CryptoError.drainingQueue("subject") }
        let issuerName = issuer.map { X509_get_subject_name($0.pointer) } ?? name
        guard X509_set_issuer_name(x509, issuerName) == 1 else { throw CryptoError.drainingQueue("issuer") }
        guard X509_set_pubkey(x509, subjectKey.pointer) == 1 else { throw CryptoError.drainingQueue("public key") }

        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuer?.pointer ?? x509, x509, nil, nil, 0)
        var extensions: [(Int32, String)] = [
            (
                NID_basic_constraints,
                isCA ? "critical,CA:TRUE" + (pathLength.map { ",pathlen:\($0)" } ?? "") : "critical,CA:FALSE"
            ),
            (NID_subject_key_identifier, "hash"),
        ]
        if issuer != nil || !isCA { extensions.append((NID_authority_key_identifier, "keyid:always")) }
        if let keyUsage { extensions.append((NID_key_usage, "critical," + keyUsage)) }
        if let extendedKeyUsage { extensions.append((NID_ext_key_usage, extendedKeyUsage)) }
        if let subjectAlternativeName { extensions.append((NID_subject_alt_name, subjectAlternativeName)) }
        for (nid, value) in extensions {
            guard let ext = X509V3_EXT_conf_nid(nil, &context, nid, value) else {
                throw CryptoError.drainingQueue("bad extension \(value)")
            }
            defer { X509_EXTENSION_free(ext) }
            guard X509_add_ext(x509, ext, -1) == 1 else { throw CryptoError.drainingQueue("cannot add extension") }
        }
        guard X509_sign(x509, issuerKey.pointer, EVP_sha256()) > 0 else {
            throw CryptoError.drainingQueue("cannot sign the certificate")
        }
        guard let der = derEncoded({ i2d_X509(x509, $0) }) else {
            throw CryptoError.drainingQueue("cannot encode the certificate")
        }
        return try Certificate(derBytes: der)
    }
}
