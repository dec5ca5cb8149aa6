import AnchorageCore
import Dispatch
import Synchronization
import Testing

@Suite struct TokenBucketLimiterTests {
    @Test func burstThenRefuse() {
        let clock = ManualMonotonicClock()
        let limiter = TokenBucketLimiter<String>(limit: RateLimit(rate: 10, burst: 20), clock: clock)
        for _ in 0..<20 { #expect(limiter.acquire("a")) }
        #expect(!limiter.acquire("a"))
        #expect(!limiter.acquire("a"))
        // Other keys have their own buckets.
        #expect(limiter.acquire("b"))
    }

    @Test func refillsAtTheRateAndNeverAboveTheBurst() {
        let clock = ManualMonotonicClock()
        let limiter = TokenBucketLimiter<String>(limit: RateLimit(rate: 10, burst: 20), clock: clock)
        for _ in 0..<20 { #expect(limiter.acquire("a")) }
        clock.advance(seconds: 0.05)
        #expect(!limiter.acquire("a"), "half a token after 50 ms")
        clock.advance(seconds: 0.05)
        #expect(limiter.acquire("a"), "one token after 100 ms")
        #expect(!limiter.acquire("a"))
        clock.advance(seconds: 0.35)
        for _ in 0..<3 { #expect(limiter.acquire("a")) }
        #expect(!limiter.acquire("a"))
        // A long idle period refills to the burst, not beyond.
        clock.advance(seconds: 3600)
        for _ in 0..<20 { #expect(limiter.acquire("a")) }
        #expect(!limiter.acquire("a"))
    }

    @Test func fractionalRates() {
        let clock = ManualMonotonicClock()
        let limiter = TokenBucketLimiter<Int>(limit: RateLimit(rate: 0.5, burst: 1), clock: clock)
        #expect(limiter.acquire(1))
        clock.advance(seconds: 1.9)
        #expect(!limiter.acquire(1))
        clock.advance(seconds: 0.1)
        #expect(limiter.acquire(1))
    }

    @Test func idleBucketsAreEvicted() {
        let clock = ManualMonotonicClock()
        let limiter = TokenBucketLimiter<Int>(limit: RateLimit(rate: 10, burst: 20), clock: clock)
        for key in 0..<5000 { #expect(limiter.acquire(key)) }
        #expect(limiter.keyCount == 5000)
        clock.advance(seconds: 0.05)
        limiter.sweep()
        #expect(limiter.keyCount == 5000, "not yet refilled: still remembered")
        clock.advance(seconds: 0.1)
        limiter.sweep()
        #expect(limiter.keyCount == 0, "refilled buckets equal missing ones")
        // Sweeps also happen on their own as requests arrive (once per refill period per shard).
        for key in 0..<5000 { _ = limiter.acquire(key) }
        clock.advance(seconds: 5)
        for key in 10_000..<10_100 { _ = limiter.acquire(key) }
        #expect(limiter.keyCount < 1000)
    }

    @Test func fullTableRefusesNewKeysUntilBucketsGoIdle() {
        let clock = ManualMonotonicClock()
        let limiter = TokenBucketLimiter<Int>(
            limit: RateLimit(rate: 1, burst: 2), maximumKeys: 4, shardCount: 1, clock: clock)
        for key in 0..<4 { #expect(limiter.acquire(key)) }
        #expect(!limiter.acquire(99), "full of active buckets: a new key is refused, none evicted")
        #expect(limiter.acquire(0), "existing keys keep their buckets")
        #expect(limiter.keyCount == 4)
        clock.advance(seconds: 2)
        #expect(limiter.acquire(99), "idle buckets were swept to make room")
        #expect(limiter.keyCount == 1)
    }

    @Test func concurrentCallersNeverGetMoreThanTheBurst() {
        let clock = ManualMonotonicClock()
        let limiter = TokenBucketLimiter<Int>(limit: RateLimit(rate: 1, burst: 500), clock: clock)
        let allowed = Atomic<Int>(0)
        let allowedPerKey = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for i in 0..<1000 {
                if limiter.acquire(-1) { allowed.add(1, ordering: .relaxed) }
                if limiter.acquire(thread * 1000 + i) { allowedPerKey.add(1, ordering: .relaxed) }
            }
        }
        #expect(allowed.load(ordering: .relaxed) == 500)
        #expect(allowedPerKey.load(ordering: .relaxed) == 8000)
        #expect(limiter.keyCount == 8001)
    }

    @Test func parsesRateAndBurst() {
        #expect(RateLimit.parse("10/20") == .some(RateLimit(rate: 10, burst: 20)))
        #expect(RateLimit.parse("100") == .some(RateLimit(rate: 100, burst: 200)))
        #expect(RateLimit.parse("0.2") == .some(RateLimit(rate: 0.2, burst: 1)))
        #expect(RateLimit.parse("0.5/5") == .some(RateLimit(rate: 0.5, burst: 5)))
        #expect(RateLimit.parse("0") == .some(nil))
        #expect(RateLimit.parse("off") == .some(nil))
        for bad in ["", "-1", "abc", "10/0", "10/", "/5", "nan", "inf", "10/20/30", "1e9"] {
            #expect(RateLimit.parse(bad) == nil, "\(bad)")
        }
        #expect(RateLimit(rate: 10, burst: 20).description == "10/s burst 20")
    }
}
