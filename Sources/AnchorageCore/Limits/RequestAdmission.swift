import AnchorageCrypto

/// Rate limits and replay protection for CreateSession in this process, shared by every event loop: the
/// embedded ``AdmissionStore``.
///
/// Where each check runs (see ``CreateSessionService``):
/// 1. **per source address**, before any parsing or cryptography (``admitSource(_:)``), so a flood costs
///    a hash lookup; IPv4 by address, IPv6 by /64 (one host usually holds a whole /64);
/// 2. once the request signature verified and the request is authorized, ``decide(_:)``: **replay**
///    lookup, then **per certificate** (the leaf's SHA-256 fingerprint — only someone holding the key can
///    spend that certificate's tokens; a replayed request spends none), then the request is **recorded**
///    in the replay cache, atomically with a second replay check (two identical requests racing: one wins).
///    A throttled or denied request is not recorded, so a client may resend it unchanged.
public final class RequestAdmission: AdmissionStore {
    public struct Settings: Sendable, Equatable {
        /// Per leaf certificate; nil disables.
        public var perCertificate: RateLimit? = RateLimit(rate: 10, burst: 20)
        /// Per source address (IPv6: per /64); nil disables.
        public var perSource: RateLimit? = RateLimit(rate: 100, burst: 200)
        public var replayProtection = true
        /// Most live replay-cache entries (about 60 bytes each).
        public var replayCacheCapacity = 1_000_000
        /// Most buckets per limiter (about 100 bytes each).
        public var limiterMaximumKeys = 100_000

        public init() {}
    }

    public let settings: Settings
    public let sourceLimiter: TokenBucketLimiter<LimitKey>?
    public let certificateLimiter: TokenBucketLimiter<LimitKey>?
    public let replayCache: ReplayCache?

    public init(_ settings: Settings, clock: any MonotonicClock = SystemMonotonicClock()) {
        self.settings = settings
        sourceLimiter = settings.perSource.map {
            TokenBucketLimiter(limit: $0, maximumKeys: settings.limiterMaximumKeys, clock: clock)
        }
        certificateLimiter = settings.perCertificate.map {
            TokenBucketLimiter(limit: $0, maximumKeys: settings.limiterMaximumKeys, clock: clock)
        }
        replayCache = settings.replayProtection ? ReplayCache(capacity: settings.replayCacheCapacity) : nil
    }

    public var checksSourceInBatch: Bool { false }

    public func admitSourceEarly(_ address: String) -> CreateSessionOutcome? { admitSource(address) }

    public func admit(_ batch: AdmissionBatch, completion: @escaping @Sendable (AdmissionVerdict) -> Void) {
        completion(decide(batch))
    }

    /// The embedded decision of ``AdmissionStore`` (its steps 1-4), synchronous.
    public func decide(_ batch: AdmissionBatch) -> AdmissionVerdict {
        if let key = batch.sourceKey, let limiter = sourceLimiter, !limiter.acquire(key) {
            return .denied(.throttledSource, detail: "source is over \(limiter.limit)")
        }
        if let cache = replayCache, cache.contains(batch.replayKey, now: batch.now) {
            return .denied(.replayedRequest, detail: "this signed request was already accepted")
        }
        if let limiter = certificateLimiter, !limiter.acquire(batch.certificateKey) {
            return .denied(.throttledCertificate, detail: "certificate is over \(limiter.limit)")
        }
        guard let cache = replayCache else { return .admitted }
        switch cache.insert(batch.replayKey, expiresAt: batch.replayExpiresAt, now: batch.now) {
        case .inserted: return .admitted
        case .replayed: return .denied(.replayedRequest, detail: "this signed request was already accepted")
        case .full: return .denied(.replayCacheFull, detail: "the replay cache holds \(cache.capacity) live entries")
        }
    }

    /// nil when `address` may proceed; otherwise the `throttled_source` outcome to audit and answer.
    public func admitSource(_ address: String) -> CreateSessionOutcome? {
        guard let limiter = sourceLimiter, !limiter.acquire(Self.sourceKey(address)) else { return nil }
        return CreateSessionOutcome(
            result: .denied(.throttledSource), detail: "source \(address) is over \(limiter.limit)",
            subject: AuditSubject())
    }

    /// The limiter key of a source address: IPv4 (and IPv4-mapped IPv6) by address, IPv6 by its /64,
    /// anything else by a hash of the text.
    public static func sourceKey(_ address: String) -> LimitKey {
        guard let bytes = IPAddressRange.parseAddress(address) else {
            return LimitKey(prefixOf: Digest.sha256("source\0" + address))
        }
        if bytes.count == 4 { return LimitKey(high: 0, low: 0xFFFF_0000_0000 | UInt64(Self.integer(bytes))) }
        if bytes.prefix(12).elementsEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]) {
            return LimitKey(high: 0, low: 0xFFFF_0000_0000 | UInt64(Self.integer(bytes.suffix(4))))
        }
        return LimitKey(high: Self.integer(bytes.prefix(8)), low: 0)
    }

    private static func integer<Bytes: Collection>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
        bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// What identifies a signed request for replay purposes: the certificate, the exact string to sign
    /// (method, path, query, signed headers, body hash, date, scope) and, for ECDSA, the signature's `r`.
    ///
    /// Not the raw signature bytes: an ECDSA signature `(r, s)` has a twin `(r, n − s)` that verifies as
    /// well, so a replay keyed on the bytes could be disguised. `r` comes from the signer's random nonce,
    /// so two honest signatures of the same request still differ; `(r, n − s)` does not. RSA PKCS#1 v1.5
    /// is deterministic: the same request signed twice by one key is the same request, a replay.
    public static func replayKey(
        certificateSHA256: String, stringToSign: String, signature: [UInt8], algorithm: X509SigningAlgorithm
    ) -> LimitKey {
        var input = Array("anchorage-replay-v1\0\(certificateSHA256)\0\(stringToSign)\0".utf8)
        if algorithm == .ecdsaSHA256 { input += ecdsaR(signature).map(Array.init) ?? signature }
        return LimitKey(prefixOf: Digest.sha256(input))
    }

    /// The `r` INTEGER of a DER `ECDSA-Sig-Value` (nil when it is not one).
    static func ecdsaR(_ der: [UInt8]) -> ArraySlice<UInt8>? {
        var index = 0
        func length() -> Int? {
            guard index < der.count else { return nil }
            let first = Int(der[index])
            index += 1
            if first < 0x80 { return first }
            let octets = first & 0x7F
            guard (1...2).contains(octets), index + octets <= der.count else { return nil }
            var value = 0
            for _ in 0..<octets {
                value = value << 8 | Int(der[index])
                index += 1
            }
            return value
        }
        guard der.first == 0x30 else { return nil }
        index = 1
        guard length() != nil, index < der.count, der[index] == 0x02 else { return nil }
        index += 1
        guard let rLength = length(), rLength > 0, index + rLength <= der.count else { return nil }
        return der[index..<index + rLength]
    }
}
