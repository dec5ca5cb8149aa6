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
/// entries stay valid across configuration generations. Whether a certificate is trusted, valid
/// now or revoked is never cached here: that is ``TrustStore``'s per-generation path cache and the
/// per-request checks.
///
/// Bounded: each shard keeps two generations of at most `capacity / shards / 2` entries; a lookup
/// that hits the old generation promotes the entry, and when the young generation is full it
/// becomes the old one and the previous old one is dropped (an approximate LRU with O(1) work and
/// no per-entry bookkeeping). Shards cut contention between event loops.
public final class CertificateCache: Sendable {
    /// The process-wide cache the CreateSession pipeline uses.
    public static let shared = CertificateCache(capacity: 2048)

    private final class Shard: Sendable {
        struct Generations {
            var young: [CertificateDigest: Certificate] = [:]
            var old: [CertificateDigest: Certificate] = [:]
        }
        let state = Locked(Generations())
    }

    private let shards: [Shard]
    private let generationCapacity: Int

    /// A cache holding at most `capacity` certificates.
    public init(capacity: Int, shards: Int = 8) {
        precondition(capacity >= 2 * shards && shards > 0)
        self.shards = (0..<shards).map { _ in Shard() }
        generationCapacity = capacity / shards / 2
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
        let shard = shards[Int(truncatingIfNeeded: digest.w1 % UInt64(shards.count))]
        // A generation dropped by an insert is released at the end of its statement, after the lock.
        let (cached, _): (Certificate?, [CertificateDigest: Certificate]) = shard.state.withLock { state in
            if let hit = state.young[digest] { return (hit, [:]) }
            guard let hit = state.old.removeValue(forKey: digest) else { return (nil, [:]) }
            return (hit, insert(hit, digest: digest, into: &state))
        }
        // Equal digests with different bytes would need a SHA-256 collision; the comparison is cheap.
        if let cached, cached.derBytes == derBytes { return cached }
        // Parsed outside the lock: two loops may parse the same new certificate once each, harmlessly.
        let parsed = try Certificate(derBytes: derBytes, digest: digest)
        _ = shard.state.withLock { insert(parsed, digest: digest, into: &$0) }
        return parsed
    }

    /// Inserts into the young generation, rotating when it is full; returns the dropped generation
    /// so that its certificates are freed after the lock is released.
    private func insert(_ certificate: Certificate, digest: CertificateDigest, into state: inout Shard.Generations)
        -> [CertificateDigest: Certificate]
    {
        var dropped: [CertificateDigest: Certificate] = [:]
        if state.young.count >= generationCapacity, state.young[digest] == nil {
            dropped = state.old
            state.old = state.young
            state.young = Dictionary(minimumCapacity: generationCapacity)
        }
        state.young[digest] = certificate
        return dropped
    }

    /// Number of certificates held (for tests).
    public var count: Int {
        shards.reduce(0) { total, shard in total + shard.state.withLock { $0.young.count + $0.old.count } }
    }
}
