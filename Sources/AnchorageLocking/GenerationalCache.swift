/// A bounded, thread-safe map from keys to values that are expensive to make and cheap to keep: an
/// approximate LRU in two generations, split into shards.
///
/// Each shard keeps two generations of at most `capacity / shards / 2` entries behind its own
/// ``Locked`` mutex. A lookup that hits the old generation promotes the entry into the young one;
/// when the young generation is full it becomes the old one and the previous old one is dropped.
/// That is O(1) work and no per-entry bookkeeping, and an entry used at least once per generation
/// stays. Shards cut contention between event loops that look up at the same time.
///
/// The cache holds no policy about what its values mean: an owner that must forget everything at
/// a configuration change owns one instance per configuration generation, and an owner whose
/// values depend only on their key (a parsed certificate, say) keeps one for its lifetime.
///
/// The lookups are `@inlinable` so that callers in other modules get them specialised for their key and
/// value types: unspecialised, every dictionary operation would go through generic witness tables, and
/// these lookups run on every request.
public final class GenerationalCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    @usableFromInline
    struct Generations {
        @usableFromInline var young: [Key: Value] = [:]
        @usableFromInline var old: [Key: Value] = [:]
        @usableFromInline init() {}
    }

    @usableFromInline let shards: [Locked<Generations>]
    @usableFromInline let generationCapacity: Int

    /// A cache holding at most `capacity` values in `shards` independently locked parts.
    ///
    /// `capacity` must be at least `2 * shards`, so that each generation of each shard holds one entry.
    public init(capacity: Int, shards: Int = 8) {
        precondition(shards > 0 && capacity >= 2 * shards, "capacity must be at least twice the shard count")
        self.shards = (0..<shards).map { _ in Locked(Generations()) }
        generationCapacity = capacity / shards / 2
    }

    /// The value cached for `key`, promoting it to the young generation when it was in the old one.
    @inlinable
    public func value(for key: Key) -> Value? {
        // A generation dropped by the promotion is released at the end of this statement, after the lock:
        // freeing its values (certificates, OpenSSL objects) must not hold up other loops.
        let (found, _): (Value?, [Key: Value]) = shard(for: key).withLock { state in
            if let hit = state.young[key] { return (hit, [:]) }
            guard let hit = state.old.removeValue(forKey: key) else { return (nil, [:]) }
            return (hit, insert(hit, for: key, into: &state))
        }
        return found
    }

    /// Caches `value` for `key`, replacing what was there.
    @inlinable
    public func insert(_ value: Value, for key: Key) {
        _ = shard(for: key).withLock { insert(value, for: key, into: &$0) }
    }

    /// The value cached for `key`, or `make()`'s, which is then cached.
    ///
    /// `make` runs outside the lock: two threads missing the same key at once may each make the value,
    /// and the later insert wins. Use it only for values that are equal whoever makes them.
    @inlinable
    public func value<Failure: Error>(for key: Key, orMake make: () throws(Failure) -> Value) throws(Failure) -> Value {
        if let found = value(for: key) { return found }
        let made = try make()
        insert(made, for: key)
        return made
    }

    /// Number of values held, in both generations of every shard.
    public var count: Int {
        shards.reduce(0) { total, shard in total + shard.withLock { $0.young.count + $0.old.count } }
    }

    @inlinable
    func shard(for key: Key) -> Locked<Generations> {
        shards.count == 1 ? shards[0] : shards[Int(UInt(bitPattern: key.hashValue) % UInt(shards.count))]
    }

    /// Inserts into the young generation, rotating when it is full; returns the dropped generation so
    /// that the caller frees it after the lock is released.
    @inlinable
    func insert(_ value: Value, for key: Key, into state: inout Generations) -> [Key: Value] {
        var dropped: [Key: Value] = [:]
        if state.young.count >= generationCapacity, state.young[key] == nil {
            dropped = state.old
            state.old = state.young
            state.young = Dictionary(minimumCapacity: generationCapacity)
        }
        state.young[key] = value
        return dropped
    }
}
