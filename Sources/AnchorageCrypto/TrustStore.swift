import AnchorageLocking
internal import COpenSSL

/// The CA certificates of one trust anchor and the CRLs imported for it, ready for path building.
///
/// Built once per configuration generation and then read-only; `X509_STORE` supports concurrent
/// verifications, each with its own `X509_STORE_CTX`.
public final class TrustStore: @unchecked Sendable {
    /// The anchor's CA certificates.
    public let anchors: [Certificate]
    /// Every CRL of the anchor; all are in force.
    public let revocationLists: [CertificateRevocationList]
    private let store: OpaquePointer
    /// Validated paths of this generation of the anchor, by the digests of the leaf and the chain sent.
    ///
    /// Owned by the store, and so by one configuration generation: a path validated against this
    /// generation's anchors and CRLs says nothing about the next one's, and a reload drops it with
    /// the store. One shard: path building is rare next to lookups, which hold the lock briefly.
    private let paths: GenerationalCache<PathKey, ValidatedPath>
    /// Whether CRL `index` verifies with the key of the issuer of this digest: a new leaf under a known
    /// issuer needs no CRL signature verification. Only issuers of validated paths get here.
    private let crlSignatures = Locked<[CRLSignatureKey: Bool]>([:])

    /// Builds a store trusting exactly `anchors` (roots or intermediates).
    public init(anchors: [Certificate], revocationLists: [CertificateRevocationList]) throws(CryptoError) {
        ERR_clear_error()
        guard let store = X509_STORE_new() else { throw CryptoError.drainingQueue("cannot allocate a store") }
        for anchor in anchors where X509_STORE_add_cert(store, anchor.pointer) != 1 {
            let error = CryptoError.drainingQueue("cannot add an anchor certificate")
            X509_STORE_free(store)
            throw error
        }
        self.anchors = anchors
        self.revocationLists = revocationLists
        self.paths = GenerationalCache(capacity: 2048, shards: 1)
        self.store = store
    }

    deinit { X509_STORE_free(store) }

    /// Builds and validates a path from `leaf` to one of the anchors at `time` (seconds since the epoch).
    ///
    /// `untrusted` may hold intermediates in any order, duplicates, the leaf itself or an anchor: OpenSSL
    /// builds the path by name and key identifier and ignores the rest. Revocation is checked here
    /// against every CRL of the anchor, for every certificate of the path below the anchor.
    ///
    /// A validated path is cached for this store (one configuration generation) by the digests of
    /// `leaf` and `untrusted`: the signatures along it, its CA constraints and which CRLs speak for
    /// which certificate (with their signatures checked) are established once. Every call still
    /// checks `time` against the validity of every certificate of the path and looks each one up in
    /// its CRLs; outside the cached window the path is validated afresh, which yields the reason.
    public func buildPath(leaf: Certificate, untrusted: [Certificate], at time: Int64) -> PathResult {
        let key = PathKey(leaf: leaf.digest, chain: untrusted.map(\.digest))
        if let cached = paths.value(for: key), cached.notBefore <= time, time <= cached.notAfter {
            for check in cached.revocationChecks where check.lists.contains(where: { $0.lists(check.certificate) }) {
                return .failure(.revoked, depth: check.depth)
            }
            return .trusted(path: cached.path)
        }
        let (result, validated) = validatePath(leaf: leaf, untrusted: untrusted, at: time)
        if let validated { paths.insert(validated, for: key) }
        return result
    }

    /// The full OpenSSL path validation, and on success what ``buildPath(leaf:untrusted:at:)`` caches.
    private func validatePath(leaf: Certificate, untrusted: [Certificate], at time: Int64)
        -> (PathResult, ValidatedPath?)
    {
        ERR_clear_error()
        defer { ERR_clear_error() }
        guard let context = X509_STORE_CTX_new() else {
            return (.failure(.internalError("out of memory"), depth: 0), nil)
        }
        defer { X509_STORE_CTX_free(context) }
        guard let stack = COpenSSL_sk_X509_new_null() else {
            return (.failure(.internalError("out of memory"), depth: 0), nil)
        }
        defer { COpenSSL_sk_X509_free(stack) }
        for certificate in untrusted { _ = COpenSSL_sk_X509_push(stack, certificate.pointer) }

        return withExtendedLifetime((untrusted, leaf)) { () -> (PathResult, ValidatedPath?) in
            guard X509_STORE_CTX_init(context, store, leaf.pointer, stack) == 1 else {
                return (.failure(.internalError("cannot initialise verification"), depth: 0), nil)
            }
            let parameters = X509_STORE_CTX_get0_param(context)
            // Anchors may be intermediates: a path ending at any trusted certificate is complete.
            X509_VERIFY_PARAM_set_flags(parameters, UInt(X509_V_FLAG_PARTIAL_CHAIN))
            // Leaf + up to 5 chain certificates + the anchor.
            X509_VERIFY_PARAM_set_depth(parameters, 7)
            X509_STORE_CTX_set_time(context, 0, time_t(time))

            guard X509_verify_cert(context) == 1 else {
                let code = X509_STORE_CTX_get_error(context)
                let depth = Int(X509_STORE_CTX_get_error_depth(context))
                return (.failure(PathFailure(verifyCode: code), depth: depth), nil)
            }
            guard let chain = X509_STORE_CTX_get0_chain(context) else {
                return (.failure(.internalError("no chain"), depth: 0), nil)
            }
            var path: [Certificate] = []
            for index in 0..<COpenSSL_sk_X509_num(chain) {
                guard let x509 = COpenSSL_sk_X509_value(chain, index) else { continue }
                path.append(certificate(matching: x509, among: [leaf] + untrusted + anchors) ?? leaf)
            }
            var checks: [ValidatedPath.RevocationCheck] = []
            for (depth, certificate) in path.enumerated().dropLast() where depth + 1 < path.count {
                let issuer = path[depth + 1]
                let lists = revocationLists.indices.filter {
                    revocationLists[$0].covers(certificate) && isSignatureValid(crl: $0, issuedBy: issuer)
                }.map { revocationLists[$0] }
                if lists.contains(where: { $0.lists(certificate) }) { return (.failure(.revoked, depth: depth), nil) }
                if !lists.isEmpty { checks.append(.init(depth: depth, certificate: certificate, lists: lists)) }
            }
            let validated = ValidatedPath(
                path: path, notBefore: path.map(\.notBefore).max() ?? time,
                notAfter: path.map(\.notAfter).min() ?? time,
                revocationChecks: checks)
            return (.trusted(path: path), validated)
        }
    }

    private func isSignatureValid(crl index: Int, issuedBy issuer: Certificate) -> Bool {
        let key = CRLSignatureKey(list: index, issuer: issuer.digest)
        if let known = crlSignatures.withLock({ $0[key] }) { return known }
        let valid = revocationLists[index].isSignatureValid(issuedBy: issuer)
        crlSignatures.withLock { memo in
            if memo.count >= 1024 { memo.removeAll() }
            memo[key] = valid
        }
        return valid
    }

    private func certificate(matching x509: OpaquePointer, among candidates: [Certificate]) -> Certificate? {
        candidates.first { X509_cmp($0.pointer, x509) == 0 }
    }
}

/// A path OpenSSL validated, with what must still be checked on every use.
struct ValidatedPath: Sendable {
    struct RevocationCheck: Sendable {
        var depth: Int
        var certificate: Certificate
        /// The CRLs that speak for `certificate` and whose signature its issuer's key verifies.
        var lists: [CertificateRevocationList]
    }
    var path: [Certificate]
    /// The latest `notBefore` and earliest `notAfter` along the path: the window in which it is valid.
    var notBefore: Int64
    var notAfter: Int64
    var revocationChecks: [RevocationCheck]
}

struct CRLSignatureKey: Hashable, Sendable {
    var list: Int
    var issuer: CertificateDigest
}

struct PathKey: Hashable, Sendable {
    var leaf: CertificateDigest
    var chain: [CertificateDigest]
}

/// The outcome of ``TrustStore/buildPath(leaf:untrusted:at:)``.
public enum PathResult: Sendable {
    /// `path[0]` is the leaf and the last element the anchor.
    case trusted(path: [Certificate])
    /// `depth` 0 is the leaf.
    case failure(PathFailure, depth: Int)
}

/// Why no valid path exists.
public enum PathFailure: Equatable, Sendable, CustomStringConvertible {
    case noPathToAnchor
    case expired
    case notYetValid
    case revoked
    case invalidCA
    case badSignature
    case pathTooLong
    case other(String)
    case internalError(String)

    init(verifyCode code: Int32) {
        switch code {
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
            X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
            X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
            self = .noPathToAnchor
        case X509_V_ERR_CERT_HAS_EXPIRED: self = .expired
        case X509_V_ERR_CERT_NOT_YET_VALID: self = .notYetValid
        case X509_V_ERR_CERT_REVOKED: self = .revoked
        case X509_V_ERR_INVALID_CA, X509_V_ERR_KEYUSAGE_NO_CERTSIGN, X509_V_ERR_PATH_LENGTH_EXCEEDED:
            self = .invalidCA
        case X509_V_ERR_CERT_SIGNATURE_FAILURE, X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE,
            X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
            self = .badSignature
        case X509_V_ERR_CERT_CHAIN_TOO_LONG: self = .pathTooLong
        default:
            let text = X509_verify_cert_error_string(Int(code)).map { String(cString: $0) } ?? "code \(code)"
            self = .other(text)
        }
    }

    public var description: String {
        switch self {
        case .noPathToAnchor: return "no path to the trust anchor"
        case .expired: return "certificate expired"
        case .notYetValid: return "certificate not yet valid"
        case .revoked: return "certificate revoked"
        case .invalidCA: return "an issuer is not a valid CA"
        case .badSignature: return "a certificate signature does not verify"
        case .pathTooLong: return "path too long"
        case .other(let text): return text
        case .internalError(let text): return "internal error: \(text)"
        }
    }
}
