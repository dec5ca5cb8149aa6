internal import COpenSSL

/// Issues X.509 v2 CRLs through OpenSSL's library, for `anchorage pki revoke`, tests and the benchmark's
/// in-process PKI.
public struct CertificateRevocationListBuilder: Sendable {
    public var thisUpdate: Int64
    public var nextUpdate: Int64
    /// Serial magnitudes (big-endian) of the revoked certificates.
    public var revokedSerials: [[UInt8]] = []
    /// When a serial was revoked (seconds since the epoch); `thisUpdate` for a serial not in it.
    public var revocationDates: [[UInt8]: Int64] = [:]

    public init(thisUpdate: Int64, nextUpdate: Int64) {
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
    }

    /// Issues the CRL in `issuer`'s name, signed with SHA-256 by `issuerKey`.
    public func issue(issuer: Certificate, issuerKey: PrivateKey) throws(CryptoError) -> CertificateRevocationList {
        ERR_clear_error()
        guard let crl = X509_CRL_new() else { throw CryptoError.drainingQueue("out of memory") }
        defer { X509_CRL_free(crl) }
        guard X509_CRL_set_version(crl, 1) == 1,
            X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer.pointer)) == 1
        else { throw CryptoError.drainingQueue("cannot set the CRL issuer") }
        guard let last = ASN1_TIME_set(nil, time_t(thisUpdate)) else { throw CryptoError.drainingQueue("time") }
        defer { ASN1_TIME_free(last) }
        guard let next = ASN1_TIME_set(nil, time_t(nextUpdate)) else { throw CryptoError.drainingQueue("time") }
        defer { ASN1_TIME_free(next) }
        guard X509_CRL_set1_lastUpdate(crl, last) == 1, X509_CRL_set1_nextUpdate(crl, next) == 1 else {
            throw CryptoError.drainingQueue("cannot set the CRL times")
        }
        for serial in revokedSerials {
            guard let entry = X509_REVOKED_new() else { throw CryptoError.drainingQueue("out of memory") }
            guard let bn = BN_bin2bn(serial, Int32(serial.count), nil) else {
                X509_REVOKED_free(entry)
                throw CryptoError.drainingQueue("serial")
            }
            defer { BN_free(bn) }
            guard let integer = BN_to_ASN1_INTEGER(bn, nil) else {
                X509_REVOKED_free(entry)
                throw CryptoError.drainingQueue("serial")
            }
            defer { ASN1_INTEGER_free(integer) }
            guard let revoked = ASN1_TIME_set(nil, time_t(revocationDates[serial] ?? thisUpdate)) else {
                X509_REVOKED_free(entry)
                throw CryptoError.drainingQueue("time")
            }
            defer { ASN1_TIME_free(revoked) }
            guard X509_REVOKED_set_serialNumber(entry, integer) == 1,
                X509_REVOKED_set_revocationDate(entry, revoked) == 1, X509_CRL_add0_revoked(crl, entry) == 1
            else {
                X509_REVOKED_free(entry)
                throw CryptoError.drainingQueue("cannot add a revoked entry")
            }
        }
        guard X509_CRL_sort(crl) == 1, X509_CRL_sign(crl, issuerKey.pointer, EVP_sha256()) > 0 else {
            throw CryptoError.drainingQueue("cannot sign the CRL")
        }
        guard let der = derEncoded({ i2d_X509_CRL(crl, $0) }) else {
            throw CryptoError.drainingQueue("cannot encode the CRL")
        }
        return try CertificateRevocationList(derBytes: der)
    }
}

extension CertificateRevocationList {
    /// PEM text of the CRL.
    public var pemString: String { PEM.encode(derBytes, label: "X509 CRL") }
}
