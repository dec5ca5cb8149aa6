import AnchorageCore
import Dispatch
import Synchronization
import Testing

@Suite struct ReplayCacheTests {
    static func key(_ n: UInt64) -> LimitKey { LimitKey(high: n, low: ~n) }

    @Test func refusesTheSameKeyInsideItsWindowOnly() {
        let cache = ReplayCache(capacity: 100)
        let now: Int64 = 1_800_000_000
        #expect(cache.insert(Self.key(1), expiresAt: now + 300, now: now) == .inserted)
        #expect(cache.contains(Self.key(1), now: now))
        #expect(cache.insert(Self.key(1), expiresAt: now + 300, now: now + 10) == .replayed)
        #expect(cache.insert(Self.key(1), expiresAt: now + 300, now: now + 300) == .replayed, "the last second counts")
        #expect(!cache.contains(Self.key(2), now: now))
        #expect(cache.insert(Self.key(2), expiresAt: now + 300, now: now) == .inserted)
        // Past the window the skew check refuses the request anyway; the entry is forgotten.
        #expect(!cache.contains(Self.key(1), now: now + 301))
        #expect(cache.insert(Self.key(3), expiresAt: now + 600, now: now + 301) == .inserted)
        cache.purge(now: now + 301)
        #expect(cache.count == 1)
    }

    @Test func expiryOrderIsByExpiryNotInsertion() {
        let cache = ReplayCache(capacity: 100, shardCount: 1)
        let now: Int64 = 1_000
        #expect(cache.insert(Self.key(1), expiresAt: now + 600, now: now) == .inserted)
        #expect(cache.insert(Self.key(2), expiresAt: now + 10, now: now) == .inserted)
        #expect(cache.insert(Self.key(3), expiresAt: now + 300, now: now) == .inserted)
        cache.purge(now: now + 11)
        #expect(cache.count == 2)
        #expect(cache.contains(Self.key(1), now: now + 11))
        #expect(cache.contains(Self.key(3), now: now + 11))
        cache.purge(now: now + 601)
        #expect(cache.count == 0)
    }

    @Test func fullCacheRefusesNewKeysAndNeverEvictsLiveOnes() {
        let cache = ReplayCache(capacity: 3, shardCount: 1)
        let now: Int64 = 1_000
        for n in 0..<3 {
            #expect(cache.insert(Self.key(UInt64(n)), expiresAt: now + 300 + Int64(n), now: now) == .inserted)
        }
        #expect(cache.insert(Self.key(9), expiresAt: now + 300, now: now + 100) == .full)
        #expect(cache.insert(Self.key(0), expiresAt: now + 300, now: now + 100) == .replayed, "still remembered")
        // Room again as soon as the oldest entry expires.
        #expect(cache.insert(Self.key(9), expiresAt: now + 600, now: now + 301) == .inserted)
        #expect(cache.insert(Self.key(0), expiresAt: now + 600, now: now + 301) == .full)
        #expect(cache.contains(Self.key(1), now: now + 301))
    }

    @Test func concurrentInsertsOfOneKeyAdmitExactlyOne() {
        let cache = ReplayCache(capacity: 1_000_000)
        let inserted = Atomic<Int>(0)
        let distinct = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for i in 0..<2000 {
                if cache.insert(Self.key(42), expiresAt: 2000, now: 1000) == .inserted {
                    inserted.add(1, ordering: .relaxed)
                }
                if cache.insert(Self.key(UInt64(100 + thread * 10_000 + i)), expiresAt: 2000, now: 1000) == .inserted {
                    distinct.add(1, ordering: .relaxed)
                }
            }
        }
        #expect(inserted.load(ordering: .relaxed) == 1)
        #expect(distinct.load(ordering: .relaxed) == 16_000)
        #expect(cache.count == 16_001)
    }
}

@Suite struct RequestAdmissionKeyTests {
    @Test func sourceKeys() {
        let v4 = RequestAdmission.sourceKey("192.0.2.7")
        #expect(v4 == RequestAdmission.sourceKey("::ffff:192.0.2.7"), "IPv4-mapped IPv6 is the IPv4 address")
        #expect(v4 != RequestAdmission.sourceKey("192.0.2.8"))
        #expect(
            RequestAdmission.sourceKey("2001:db8:1:2:aaaa::1") == RequestAdmission.sourceKey("2001:db8:1:2:bbbb::9"),
            "one IPv6 /64 is one source")
        #expect(RequestAdmission.sourceKey("2001:db8:1:2::1") != RequestAdmission.sourceKey("2001:db8:1:3::1"))
        #expect(RequestAdmission.sourceKey("unix") != RequestAdmission.sourceKey("other"))
    }

    @Test func replayKeyIgnoresTheMalleableHalfOfAnECDSASignature() {
        // SEQUENCE { INTEGER r, INTEGER s }
        let r: [UInt8] = [0x00, 0x80, 0x01, 0x02]
        let first: [UInt8] = [0x30, 0x0A, 0x02, 0x04] + r + [0x02, 0x02, 0x11, 0x22]
        let twin: [UInt8] = [0x30, 0x0A, 0x02, 0x04] + r + [0x02, 0x02, 0x33, 0x44]
        let other: [UInt8] = [0x30, 0x0A, 0x02, 0x04, 0x00, 0x80, 0x01, 0x03, 0x02, 0x02, 0x11, 0x22]
        func key(_ signature: [UInt8], _ algorithm: X509SigningAlgorithm = .ecdsaSHA256, text: String = "sts")
            -> LimitKey
        {
            RequestAdmission.replayKey(
                certificateSHA256: "ab", stringToSign: text, signature: signature, algorithm: algorithm)
        }
        #expect(key(first) == key(twin))
        #expect(key(first) != key(other), "another nonce: another signing of the request")
        #expect(key(first) != key(first, text: "other"))
        // RSA PKCS#1 v1.5 is deterministic: the request is the key.
        #expect(key([1, 2, 3], .rsaSHA256) == key([4, 5, 6], .rsaSHA256))
    }
}
