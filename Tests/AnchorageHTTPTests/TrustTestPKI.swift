internal import COpenSSL
import Foundation
import Synchronization

/// Throwaway certificates for the trust store's tests, built in-process (hundreds of CA certificates would take
/// the `openssl` command seconds): P-256 keys, SHA-256 signatures, key identifiers so that a chain picks its
/// issuer among certificates of the same subject by key, as with real CAs.
final class TrustTestPKI: @unchecked Sendable {
    /// An X509 and its key, freed with the object.
    final class Issued: @unchecked Sendable {
        let certificate: OpaquePointer
        let key: OpaquePointer

        init(certificate: OpaquePointer, key: OpaquePointer) {
            self.certificate = certificate
            self.key = key
        }

        deinit {
            X509_free(certificate)
            EVP_PKEY_free(key)
        }

        /// DER of the certificate (`auxiliary`: with its trust settings, as in a TRUSTED CERTIFICATE block).
        func der(auxiliary: Bool = false) -> [UInt8] {
            var buffer: UnsafeMutablePointer<UInt8>?
            let length = auxiliary ? i2d_X509_AUX(certificate, &buffer) : i2d_X509(certificate, &buffer)
            precondition(length > 0, "i2d_X509")
            defer { CRYPTO_free(buffer, #file, #line) }
            return Array(UnsafeBufferPointer(start: buffer, count: Int(length)))
        }

        /// The certificate as a PEM block.
        func pem(auxiliary: Bool = false) -> String {
            TrustTestPKI.pem(der(auxiliary: auxiliary), label: auxiliary ? "TRUSTED CERTIFICATE" : "CERTIFICATE")
        }
    }

    private static let serials = Atomic<Int64>(1)

    /// A PEM block of `der` under `label`, 64 characters a line.
    static func pem(_ der: [UInt8], label: String) -> String {
        "-----BEGIN \(label)-----\n"
            + Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
            + "\n-----END \(label)-----\n"
    }

    static func key() -> OpaquePointer {
        let context = EVP_PKEY_CTX_new_from_name(nil, "EC", nil)
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        precondition(
            EVP_PKEY_keygen_init(context) == 1 && EVP_PKEY_CTX_set_group_name(context, "P-256") == 1
                && EVP_PKEY_generate(context, &key) == 1, "EC key generation")
        return key!
    }

    /// A CA certificate named `commonName`, self-signed or issued by `issuer`, with a new key or `key`.
    static func authority(_ commonName: String, issuer: Issued? = nil, key: OpaquePointer? = nil) -> Issued {
        make(
            commonName, issuer: issuer, key: key,
            extensions: [
                "basicConstraints": "critical,CA:TRUE",
                "keyUsage": "critical,keyCertSign,cRLSign",
            ])
    }

    /// A server certificate for 127.0.0.1 issued by `issuer`.
    static func server(issuer: Issued) -> Issued {
        make(
            "127.0.0.1", issuer: issuer, key: nil,
            extensions: [
                "basicConstraints": "critical,CA:FALSE",
                "subjectAltName": "IP:127.0.0.1", "extendedKeyUsage": "serverAuth",
            ])
    }

    private static func make(
        _ commonName: String, issuer: Issued?, key: OpaquePointer?, extensions: [String: String]
    ) -> Issued {
        if let key { EVP_PKEY_up_ref(key) }  // each Issued frees its own reference
        let key = key ?? Self.key()
        let certificate = X509_new()!
        let serial = serials.add(1, ordering: .relaxed).newValue
        X509_set_version(certificate, 2)
        ASN1_INTEGER_set_int64(X509_get_serialNumber(certificate), serial)
        X509_gmtime_adj(X509_getm_notBefore(certificate), -3600)
        X509_gmtime_adj(X509_getm_notAfter(certificate), 2 * 86400)
        let name = X509_NAME_new()
        defer { X509_NAME_free(name) }
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, commonName, -1, -1, 0)
        X509_set_subject_name(certificate, name)
        X509_set_issuer_name(certificate, issuer.map { X509_get_subject_name($0.certificate) } ?? name)
        X509_set_pubkey(certificate, key)
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuer?.certificate ?? certificate, certificate, nil, nil, 0)
        let ordered =
            extensions.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } + [
                ("subjectKeyIdentifier", "hash"), ("authorityKeyIdentifier", "keyid:always"),
            ]
        for (name, value) in ordered {
            let extensionValue = X509V3_EXT_conf_nid(nil, &context, OBJ_sn2nid(name), value)
            precondition(extensionValue != nil, "extension \(name)")
            X509_add_ext(certificate, extensionValue, -1)
            X509_EXTENSION_free(extensionValue)
        }
        precondition(X509_sign(certificate, issuer?.key ?? key, EVP_sha256()) > 0, "X509_sign")
        return Issued(certificate: certificate, key: key)
    }
}
