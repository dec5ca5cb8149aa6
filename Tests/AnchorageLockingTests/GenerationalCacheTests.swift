import AnchorageLocking
import Dispatch
import Testing

@Suite struct GenerationalCacheTests {
    @Test func aValueInsertedIsFoundAndReplaced() {
        let cache = GenerationalCache<String, Int>(capacity: 16, shards: 2)
        #expect(cache.value(for: "a") == nil)
        cache.insert(1, for: "a")
        #expect(cache.value(for: "a") == 1)
        cache.insert(2, for: "a")
        #expect(cache.value(for: "a") == 2)
        #expect(cache.count == 1)
    }

    @Test func orMakeMakesOnlyOnAMiss() {
        let cache = GenerationalCache<Int, String>(capacity: 16, shards: 1)
        var made = 0
        let first = cache.value(for: 7) {
            made += 1
            return "seven"
        }
        let second = cache.value(for: 7) {
            made += 1
            return "other"
        }
        #expect(first == "seven" && second == "seven")
        #expect(made == 1)
    }

    @Test func aFailingMakeCachesNothing() {
        struct Refused: Error {}
        let cache = GenerationalCache<Int, Int>(capacity: 4, shards: 1)
        #expect(throws: Refused.self) { try cache.value(for: 1) { () throws(Refused) -> Int in throw Refused() } }
        #expect(cache.value(for: 1) == nil)
        #expect(cache.count == 0)
    }

    /// One shard, two generations of two: the third insert retires the first generation to old, the fifth
    /// drops it.
    @Test func fullGenerationsRotateAndTheOldestIsDropped() {
        let cache = GenerationalCache<Int, Int>(capacity: 4, shards: 1)
        for key in 1...4 { cache.insert(key * 10, for: key) }
        #expect(cache.count == 4)
        cache.insert(50, for: 5)
        #expect(cache.value(for: 1) == nil)
        #expect(cache.value(for: 2) == nil)
        #expect(cache.value(for: 3) == 30)
        #expect(cache.count <= 4)
    }

    /// A hit in the old generation promotes the entry, so a key in use survives the rotation that drops
    /// its neighbours: the approximate LRU.
    @Test func aHitInTheOldGenerationSurvivesTheNextRotation() {
        let cache = GenerationalCache<Int, Int>(capacity: 4, shards: 1)
        cache.insert(1, for: 1)
        cache.insert(2, for: 2)
        cache.insert(3, for: 3)  // young {3}, old {1, 2}
        #expect(cache.value(for: 1) == 1)  // promoted: young {3, 1}, old {2}
        cache.insert(4, for: 4)  // young {4}, old {3, 1}: 2 dropped
        #expect(cache.value(for: 2) == nil)
        #expect(cache.value(for: 1) == 1)
        #expect(cache.value(for: 3) == 3)
    }

    @Test func theCacheIsBounded() {
        let cache = GenerationalCache<Int, Int>(capacity: 32, shards: 4)
        for key in 0..<1000 { cache.insert(key, for: key) }
        #expect(cache.count <= 32)
        #expect(cache.count > 0)
        #expect(cache.value(for: 999) == 999)
    }

    @Test func concurrentLookupsAndInsertsKeepEveryValueRight() {
        let cache = GenerationalCache<Int, Int>(capacity: 64, shards: 4)
        DispatchQueue.concurrentPerform(iterations: 400) { index in
            let key = index % 50
            let value = cache.value(for: key) { key * 3 }
            #expect(value == key * 3)
            #expect(cache.value(for: key).map { $0 == key * 3 } ?? true)
        }
        #expect(cache.count <= 64)
    }
}
