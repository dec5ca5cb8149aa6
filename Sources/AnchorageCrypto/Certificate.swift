internal import COpenSSL

/// An X.509 certificate, parsed once and immutable afterwards.
///
/// Owns its `X509 *`. OpenSSL allows concurrent read-only use of a certificate, so the class is
/// shared freely across event loops.
public final class Certificate: @unchecked Sendable {
    let pointer: OpaquePointer

    /// The DER encoding exactly as parsed.
    public let derBytes: [UInt8]

    /// SHA-256 of the DER encoding: the key of ``CertificateCache``.
    public let digest: CertificateDigest

    /// Whether parsing built the public key from its fields instead of `d2i_X509`'s decoder (``X509Decoder``).
    let keyBuiltFromFields: Bool

    /// Everything requests read from the certificate, extracted once at parse time: the object is
    /// immutable and shared across event loops, so nothing is computed (or memoised) later.
    private let facts: Facts

    /// Parses one DER-encoded certificate. Trailing bytes after the certificate are rejected.
    public convenience init(derBytes: [UInt8]) throws(CryptoError) {
        try self.init(derBytes: derBytes, digest: CertificateDigest(sha256Of: derBytes))
    }

    /// `fastPath: false` parses with plain `d2i_X509` (see ``X509Decoder``); tests compare the two.
    init(derBytes: [UInt8], digest: CertificateDigest, fastPath: Bool = true) throws(CryptoError) {
        ERR_clear_error()
        let decoded = derBytes.withUnsafeBufferPointer { X509Decoder.decode($0, fastPath: fastPath) }
        guard let decoded else { throw CryptoError.drainingQueue("not a DER X.509 certificate") }
        let parsed = decoded.x509
        guard decoded.consumed == derBytes.count else {
            X509_free(parsed)
            throw CryptoError("trailing bytes after the certificate")
        }
        self.keyBuiltFromFields = decoded.keyBuiltFromFields
        self.derBytes = derBytes
        self.digest = digest
        self.facts = Facts(parsed, digest: digest)
        self.pointer = parsed
    }

    /// The values behind the public properties.
    private struct Facts {
        var sha256Fingerprint: String
        var version: Int
        var serialNumberBytes: [UInt8]
        var serialNumberIsNegative: Bool
        var serialNumberDecimal: String
        var serialNumberHex: String
        var notBefore: Int64
        var notAfter: Int64
        var isCA: Bool
        var keyUsage: KeyUsage?
        var isUsableForTLSServer: Bool
        var signatureDigestName: String?
        var publicKey: Result<PublicKey, CryptoError>
        var subject: [NameAttribute]
        var issuer: [NameAttribute]
        var subjectString: String
        var issuerString: String
        var subjectAlternativeNames: SubjectAlternativeNames

        init(_ pointer: OpaquePointer, digest: CertificateDigest) {
            sha256Fingerprint = Hex.encode(digest.bytes)
            version = Int(X509_get_version(pointer)) + 1
            serialNumberBytes = Certificate.serialNumberBytes(pointer)
            serialNumberIsNegative = Certificate.serialNumberIsNegative(pointer)
            serialNumberDecimal = Certificate.serialNumberDecimal(pointer)
            serialNumberHex = Hex.encode(serialNumberBytes)
            notBefore = Certificate.epochSeconds(X509_get0_notBefore(pointer))
            notAfter = Certificate.epochSeconds(X509_get0_notAfter(pointer))
            // X509_check_ca also computes OpenSSL's cached extension flags read below.
            isCA = X509_check_ca(pointer) != 0 && (X509_get_extension_flags(pointer) & UInt32(EXFLAG_CA)) != 0
            keyUsage =
                (X509_get_extension_flags(pointer) & UInt32(EXFLAG_KUSAGE)) != 0
                ? KeyUsage(rawValue: X509_get_key_usage(pointer)) : nil
            isUsableForTLSServer = X509_check_purpose(pointer, X509_PURPOSE_SSL_SERVER, 0) == 1
            signatureDigestName = Certificate.signatureDigestName(pointer)
            if let key = X509_get_pubkey(pointer) {
                publicKey = .success(PublicKey(takingOwnershipOf: key))
            } else {
                publicKey = .failure(CryptoError.drainingQueue("no public key"))
            }
            subject = NameAttribute.attributes(of: X509_get_subject_name(pointer))
            issuer = NameAttribute.attributes(of: X509_get_issuer_name(pointer))
            subjectString = NameAttribute.rfc2253(X509_get_subject_name(pointer))
            issuerString = NameAttribute.rfc2253(X509_get_issuer_name(pointer))
            subjectAlternativeNames = Certificate.subjectAlternativeNames(pointer)
        }
    }

    /// Parses every `CERTIFICATE` block of a PEM text, in order. `fastPath: false` parses with `d2i_X509` alone
    /// (``X509Decoder``): for a process that parses a certificate or two and exits (`anchorage-helper`), the fast
    /// path's one-time set-up (a second library context and three curve templates) costs more than it saves.
    public static func parsePEMBundle(_ pem: [UInt8], fastPath: Bool = true) throws(CryptoError) -> [Certificate] {
        guard let blocks = pemBlocks(pem, label: "CERTIFICATE") else {
            throw CryptoError("malformed PEM certificate block")
        }
        var out: [Certificate] = []
        for block in blocks {
            out.append(try Certificate(derBytes: block, digest: CertificateDigest(sha256Of: block), fastPath: fastPath))
        }
        return out
    }

    deinit { X509_free(pointer) }

    /// PEM text of the certificate.
    public var pemString: String { PEM.encode(derBytes, label: "CERTIFICATE") }

    /// Lowercase hex SHA-256 of the DER encoding (the certificate's fingerprint).
    public var sha256Fingerprint: String { facts.sha256Fingerprint }

    /// The X.509 version as written in the certificate (1, 2 or 3).
    public var version: Int { facts.version }

    // MARK: - Serial number

    /// Big-endian magnitude of the serial number, without leading zero bytes (one zero byte for 0).
    public var serialNumberBytes: [UInt8] { facts.serialNumberBytes }

    /// True when the serial number is negative (non-conforming but seen in the wild).
    public var serialNumberIsNegative: Bool { facts.serialNumberIsNegative }

    /// The serial number in decimal, as SigV4-X509 puts it in the credential scope (`-` for negative).
    public var serialNumberDecimal: String { facts.serialNumberDecimal }

    /// Lowercase hex of the serial magnitude, zero-padded to an even length.
    public var serialNumberHex: String { facts.serialNumberHex }

    private static func serialNumberBytes(_ pointer: OpaquePointer) -> [UInt8] {
        integerMagnitude(X509_get0_serialNumber(pointer))
    }

    /// The big-endian magnitude of an ASN.1 INTEGER (a serial number), `[0]` for zero, `[]` when unreadable.
    static func integerMagnitude(_ integer: UnsafePointer<ASN1_INTEGER>?) -> [UInt8] {
        guard let integer, let bn = ASN1_INTEGER_to_BN(integer, nil) else { return [] }
        defer { BN_free(bn) }
        let length = Int((BN_num_bits(bn) + 7) / 8)
        if length == 0 { return [0] }
        var out = [UInt8](repeating: 0, count: length)
        BN_bn2bin(bn, &out)
        return out
    }

    private static func serialNumberIsNegative(_ pointer: OpaquePointer) -> Bool {
        guard let serial = X509_get0_serialNumber(pointer) else { return false }
        return ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER
    }

    private static func serialNumberDecimal(_ pointer: OpaquePointer) -> String {
        guard let serial = X509_get0_serialNumber(pointer), let bn = ASN1_INTEGER_to_BN(serial, nil),
            let text = BN_bn2dec(bn)
        else { return "" }
        defer {
            COpenSSL_OPENSSL_free(text)
            BN_free(bn)
        }
        return String(cString: text)
    }

    // MARK: - Validity

    /// `notBefore` as seconds since the Unix epoch.
    public var notBefore: Int64 { facts.notBefore }

    /// `notAfter` as seconds since the Unix epoch.
    public var notAfter: Int64 { facts.notAfter }

    static func epochSeconds(_ time: UnsafePointer<ASN1_TIME>?) -> Int64 {
        guard let time else { return 0 }
        var tm = tm()
        guard ASN1_TIME_to_tm(time, &tm) == 1 else { return 0 }
        return Int64(timegm(&tm))
    }

    // MARK: - Extensions

    /// True when basicConstraints is present with `cA` TRUE.
    public var isCA: Bool { facts.isCA }

    /// The keyUsage bits, or nil when the certificate has no keyUsage extension.
    public var keyUsage: KeyUsage? { facts.keyUsage }

    /// Whether a TLS client accepts this certificate for a server: OpenSSL's `X509_check_purpose` for
    /// `sslserver`, the check behind a client's "unsuitable certificate purpose" (extendedKeyUsage without
    /// serverAuth, a keyUsage without digitalSignature or keyEncipherment, …).
    public var isUsableForTLSServer: Bool { facts.isUsableForTLSServer }

    /// The key-usage bits of a certificate as OpenSSL exposes them.
    public struct KeyUsage: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let digitalSignature = KeyUsage(rawValue: UInt32(KU_DIGITAL_SIGNATURE))
        public static let keyCertSign = KeyUsage(rawValue: UInt32(KU_KEY_CERT_SIGN))
        public static let cRLSign = KeyUsage(rawValue: UInt32(KU_CRL_SIGN))
    }

    // MARK: - Signature and key

    /// The digest of the certificate's own signature (`sha256`, `sha1`, …), or nil when unknown.
    public var signatureDigestName: String? { facts.signatureDigestName }

    private static func signatureDigestName(_ pointer: OpaquePointer) -> String? {
        var mdNID: Int32 = 0
        var pkNID: Int32 = 0
        guard X509_get_signature_info(pointer, &mdNID, &pkNID, nil, nil) == 1 || mdNID != 0 else {
            return nil
        }
        guard mdNID != NID_undef, let name = OBJ_nid2sn(mdNID) else { return nil }
        return String(cString: name).lowercased()
    }

    /// The subject public key (one shared instance).
    public var publicKey: PublicKey {
        get throws(CryptoError) { try facts.publicKey.get() }
    }

    // MARK: - Names

    /// The subject's attributes in certificate order.
    public var subject: [NameAttribute] { facts.subject }

    /// The issuer's attributes in certificate order.
    public var issuer: [NameAttribute] { facts.issuer }

    /// Subject in RFC 2253 form (most specific RDN first), for logs and audit records.
    public var subjectString: String { facts.subjectString }

    /// Issuer in RFC 2253 form, for logs and audit records.
    public var issuerString: String { facts.issuerString }

    /// Subject alternative names of the kinds Roles Anywhere maps: DNS, URI and directory names.
    public var subjectAlternativeNames: SubjectAlternativeNames { facts.subjectAlternativeNames }

    private static func subjectAlternativeNames(_ pointer: OpaquePointer) -> SubjectAlternativeNames {
        var result = SubjectAlternativeNames()
        guard let raw = X509_get_ext_d2i(pointer, NID_subject_alt_name, nil, nil) else { return result }
        let names = OpaquePointer(raw)
        defer { COpenSSL_GENERAL_NAMES_free(names) }
        for index in 0..<COpenSSL_sk_GENERAL_NAME_num(names) {
            guard let name = COpenSSL_sk_GENERAL_NAME_value(names, index) else { continue }
            switch name.pointee.type {
            case GEN_DNS:
                if let s = NameAttribute.string(of: name.pointee.d.dNSName) { result.dnsNames.append(s) }
            case GEN_URI:
                if let s = NameAttribute.string(of: name.pointee.d.uniformResourceIdentifier) {
                    result.uris.append(s)
                }
            case GEN_DIRNAME:
                result.directoryNames.append(NameAttribute.attributes(of: name.pointee.d.directoryName))
            case GEN_IPADD:
                if let s = NameAttribute.ipString(of: name.pointee.d.iPAddress) { result.ipAddresses.append(s) }
            default: continue
            }
        }
        return result
    }

    /// True when `issuer`'s public key verifies this certificate's signature.
    public func isSignatureValid(issuedBy issuer: Certificate) -> Bool {
        guard let key = X509_get0_pubkey(issuer.pointer) else { return false }
        ERR_clear_error()
        return X509_verify(pointer, key) == 1
    }

    /// True when both certificates have the same DER encoding.
    public func isSame(as other: Certificate) -> Bool { digest == other.digest && derBytes == other.derBytes }
}

/// Subject alternative names of a certificate, in certificate order.
public struct SubjectAlternativeNames: Sendable, Equatable {
    public var dnsNames: [String] = []
    public var uris: [String] = []
    public var directoryNames: [[NameAttribute]] = []
    public var ipAddresses: [String] = []
    public init() {}
}
