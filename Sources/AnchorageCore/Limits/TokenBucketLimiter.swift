import AnchorageLocking

/// Token buckets keyed by `Key` (a source address, a certificate fingerprint), safe to share between
/// event loops.
///
/// * **Refill**: a bucket holds at most `limit.burst` tokens and gains `limit.rate` per second of the
///   injected monotonic clock; a request takes one token or is refused.
/// * **Memory**: a bucket that has refilled completely is indistinguishable from a missing one, so idle
///   buckets are dropped by a sweep (at most once per refill period per shard, and whenever a shard is
///   full). At most `maximumKeys` buckets exist; when a shard is full of buckets that are *not* idle even
///   after a sweep, a new key is refused (fail closed) rather than evicting an active bucket, which would
///   hand its owner a fresh burst. Filling it takes `maximumKeys` distinct keys, each active within one
///   refill period (100,000 keys at the default 2 s refill: 50,000 requests per second).
/// * **Concurrency**: `shardCount` independently locked shards (`Locked`), chosen by the
///   key's per-process seeded hash, so the two event loops rarely contend.
public final class TokenBucketLimiter<Key: Hashable & Sendable>: Sendable {
    public let limit: RateLimit
    public let maximumKeys: Int
    private let clock: any MonotonicClock
    private let shards: [Shard]
    private let shardCapacity: Int
    /// Nanoseconds between periodic sweeps of a shard.
    private let sweepInterval: UInt64

    struct Bucket {
        var tokens: Double
        var updated: UInt64
    }

    struct ShardState {
        var buckets: [Key: Bucket] = [:]
        var nextSweep: UInt64 = 0
        var lastFullSweep: UInt64?
    }

    final class Shard: Sendable {
        let state = Locked(ShardState())
    }

    public init(limit: RateLimit, maximumKeys: Int = 100_000, shardCount: Int = 16, clock: any MonotonicClock) {
        precondition(limit.rate > 0 && limit.burst >= 1 && maximumKeys > 0 && shardCount > 0)
        self.limit = limit
        self.maximumKeys = maximumKeys
        self.clock = clock
        let shards = min(shardCount, maximumKeys)
        self.shards = (0..<shards).map { _ in Shard() }
        self.shardCapacity = max(1, maximumKeys / shards)
        self.sweepInterval = UInt64(min(max(limit.refillSeconds, 0.1), 3600) * 1e9)
    }

    /// Takes one token from `key`'s bucket; false when the bucket is empty (or the table is full).
    public func acquire(_ key: Key) -> Bool {
        let now = clock.nanoseconds
        let shard = shards[Int(UInt(bitPattern: key.hashValue) % UInt(shards.count))]
        let limit = self.limit
        let capacity = shardCapacity
        let interval = sweepInterval
        return shard.state.withLock { state in
            if now >= state.nextSweep {
                Self.sweep(&state, now: now, limit: limit)
                state.nextSweep = now &+ interval
            }
            var bucket: Bucket
            if let existing = state.buckets[key] {
                bucket = existing
                Self.refill(&bucket, now: now, limit: limit)
            } else {
                if state.buckets.count >= capacity {
                    // Full: drop idle buckets now (at most every 100 ms, so a full table of active keys
                    // does not make every new key pay for a scan), then refuse if still full.
                    if state.lastFullSweep.map({ now &- $0 >= 100_000_000 }) ?? true {
                        Self.sweep(&state, now: now, limit: limit)
                        state.lastFullSweep = now
                    }
                    if state.buckets.count >= capacity { return false }
                }
                bucket = Bucket(tokens: limit.burst, updated: now)
            }
            let allowed = bucket.tokens >= 1
            if allowed { bucket.tokens -= 1 }
            state.buckets[key] = bucket
            return allowed
        }
    }

    /// Buckets currently held (idle ones included until the next sweep).
    public var keyCount: Int { shards.reduce(0) { total, shard in total + shard.state.withLock { $0.buckets.count } } }

    /// Drops every bucket that has refilled completely.
    public func sweep() {
        let now = clock.nanoseconds
        for shard in shards { shard.state.withLock { Self.sweep(&$0, now: now, limit: limit) } }
    }

    private static func refill(_ bucket: inout Bucket, now: UInt64, limit: RateLimit) {
        guard now > bucket.updated else { return }
        let elapsed = Double(now - bucket.updated) / 1e9
        bucket.tokens = min(limit.burst, bucket.tokens + elapsed * limit.rate)
        bucket.updated = now
    }

    private static func sweep(_ state: inout ShardState, now: UInt64, limit: RateLimit) {
        state.buckets = state.buckets.filter { _, bucket in
            var refilled = bucket
            refill(&refilled, now: now, limit: limit)
            return refilled.tokens < limit.burst
        }
    }
}
