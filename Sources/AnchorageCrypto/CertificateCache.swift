import AnchorageLocking
internal import COpenSSL

/// The SHA-256 of a certificate's DER encoding, as four words: a cheap dictionary key.
public struct CertificateDigest: Hashable, Sendable {
    let w0: UInt64
    let w1: UInt64
    let w2: UInt64
    let w3: UInt64

    public init(sha256Of bytes: [UInt8]) {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &words) { out in
            bytes.withUnsafeBufferPointer { input in
                _ = SHA256(input.baseAddress, input.count, out.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        (w0, w1, w2, w3) = words
    }

    /// The 32 digest bytes.
    public var bytes: [UInt8] {
        withUnsafeBytes(of: (w0, w1, w2, w3)) { Array($0) }
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(w0) }
}

/// Parsed certificates by the SHA-256 of their DER bytes, shared by every event loop.
///
/// OpenSSL 3.0's `d2i_X509` costs more than two P-256 verifications (its public-key decoder takes
/// provider locks), so each distinct certificate is parsed once; the ``Certificate`` holds its
/// public key and every field a request reads. A parsed certificate depends only on its bytes, so
/// entries stay valid across configuration generations: the owner is whoever decides requests for
/// the life of the process (`CreateSessionService` makes one and every copy of the service shares
/// it), not a configuration generation. Whether a certificate is trusted, valid now or revoked is
/// never cached here: that is ``TrustStore``'s per-generation path cache and the per-request checks.
///
/// Bounded: a ``GenerationalCache`` (two generations per shard, an approximate LRU).
public final class CertificateCache: Sendable {
    private let parsed: GenerationalCache<CertificateDigest, Certificate>

    /// A cache holding at most `capacity` certificates.
    public init(capacity: Int, shards: Int = 8) {
        parsed = GenerationalCache(capacity: capacity, shards: shards)
    }

    /// The certificate whose DER encoding is the padded standard base64 `text` (as `X-Amz-X509`
    /// carries it); nil when `text` is not base64 under the rules of ``Base64/decode(_:)``.
    public func certificate(base64 text: String) throws(CryptoError) -> Certificate? {
        guard let der = Base64.decode(text) else { return nil }
        return try certificate(derBytes: der)
    }

    /// The certificate whose DER encoding is `derBytes`, parsed now or earlier.
    public func certificate(derBytes: [UInt8]) throws(CryptoError) -> Certificate {
        let digest = CertificateDigest(sha256Of: derBytes)
        // Equal digests with different bytes would need a SHA-256 collision; the comparison is cheap.
        if let cached = parsed.value(for: digest), cached.derBytes == derBytes { return cached }
        // Parsed outside the lock: two loops may parse the same new certificate once each, harmlessly.
        let certificate = try Certificate(derBytes: derBytes, digest: digest)
        parsed.insert(certificate, for: digest)
        return certificate
    }

    /// Number of certificates held (for tests).
    public var count: Int { parsed.count }
}
