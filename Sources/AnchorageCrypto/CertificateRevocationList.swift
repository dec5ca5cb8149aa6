internal import COpenSSL

/// An X.509 CRL imported by an administrator for a trust anchor.
public final class CertificateRevocationList: @unchecked Sendable {
    let pointer: OpaquePointer

    /// The DER encoding exactly as parsed.
    public let derBytes: [UInt8]

    /// Parses one DER-encoded CRL.
    public init(derBytes: [UInt8]) throws(CryptoError) {
        ERR_clear_error()
        var cursor: UnsafePointer<UInt8>?
        let parsed: OpaquePointer? = derBytes.withUnsafeBufferPointer { buffer in
            cursor = buffer.baseAddress
            return d2i_X509_CRL(nil, &cursor, buffer.count)
        }
        guard let parsed else { throw CryptoError.drainingQueue("not a DER X.509 CRL") }
        self.derBytes = derBytes
        self.pointer = parsed
    }

    /// Parses a CRL file: PEM (`X509 CRL` blocks, possibly several) or a single DER CRL.
    public static func parse(fileBytes: [UInt8]) throws(CryptoError) -> [CertificateRevocationList] {
        if fileBytes.starts(with: Array("-----".utf8))
            || fileBytes.contains(UInt8(ascii: "-")) && fileBytes.first != 0x30
        {
            guard let blocks = pemBlocks(fileBytes, label: "X509 CRL"), !blocks.isEmpty else {
                throw CryptoError("no X509 CRL block in PEM")
            }
            var out: [CertificateRevocationList] = []
            for block in blocks { out.append(try CertificateRevocationList(derBytes: block)) }
            return out
        }
        return [try CertificateRevocationList(derBytes: fileBytes)]
    }

    deinit { X509_CRL_free(pointer) }

    /// The CRL issuer in RFC 2253 form.
    public var issuerString: String { NameAttribute.rfc2253(X509_CRL_get_issuer(pointer)) }

    /// `nextUpdate` as seconds since the Unix epoch, or nil when absent.
    public var nextUpdate: Int64? {
        guard let time = X509_CRL_get0_nextUpdate(pointer) else { return nil }
        return Certificate.epochSeconds(time)
    }

    /// `thisUpdate` as seconds since the Unix epoch.
    public var thisUpdate: Int64 { Certificate.epochSeconds(X509_CRL_get0_lastUpdate(pointer)) }

    /// Number of revoked entries.
    public var revokedCount: Int {
        guard let stack = X509_CRL_get_REVOKED(pointer) else { return 0 }
        return Int(COpenSSL_sk_X509_REVOKED_num(stack))
    }

    /// The revoked entries: serial magnitude (big-endian) and revocation date (seconds since the epoch),
    /// in the CRL's order. `anchorage pki revoke` keeps them when it re-issues a CRL.
    public var revokedEntries: [(serial: [UInt8], date: Int64)] {
        guard let stack = X509_CRL_get_REVOKED(pointer) else { return [] }
        return (0..<COpenSSL_sk_X509_REVOKED_num(stack)).compactMap { index in
            guard let entry = COpenSSL_sk_X509_REVOKED_value(stack, index) else { return nil }
            return (
                Certificate.integerMagnitude(X509_REVOKED_get0_serialNumber(entry)),
                Certificate.epochSeconds(X509_REVOKED_get0_revocationDate(entry))
            )
        }
    }

    /// True when this CRL was issued by the certificate's issuer (same name) — i.e. it speaks for `certificate`.
    public func covers(_ certificate: Certificate) -> Bool {
        X509_NAME_cmp(X509_CRL_get_issuer(pointer), X509_get_issuer_name(certificate.pointer)) == 0
    }

    /// True when the CRL's issuer name is `certificate`'s subject — `certificate` claims to have issued it.
    public func isNamedAsIssuer(_ certificate: Certificate) -> Bool {
        X509_NAME_cmp(X509_CRL_get_issuer(pointer), X509_get_subject_name(certificate.pointer)) == 0
    }

    /// True when `certificate`'s serial is listed (only meaningful when ``covers(_:)``).
    public func lists(_ certificate: Certificate) -> Bool {
        var entry: OpaquePointer?
        return X509_CRL_get0_by_cert(pointer, &entry, certificate.pointer) == 1
    }

    /// True when `issuer`'s key verifies the CRL signature.
    public func isSignatureValid(issuedBy issuer: Certificate) -> Bool {
        guard let key = X509_get0_pubkey(issuer.pointer) else { return false }
        ERR_clear_error()
        defer { ERR_clear_error() }
        return X509_CRL_verify(pointer, key) == 1
    }
}
