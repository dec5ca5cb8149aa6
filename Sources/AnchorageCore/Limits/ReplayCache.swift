import AnchorageLocking

/// A 128-bit key: a truncated SHA-256 (replay cache, certificate fingerprint) or an address.
public struct LimitKey: Hashable, Sendable {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The first 16 bytes of `bytes` (zero-padded).
    public init<Bytes: Collection>(prefixOf bytes: Bytes) where Bytes.Element == UInt8 {
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, byte) in bytes.prefix(16).enumerated() {
            if index < 8 {
                high |= UInt64(byte) << (56 - 8 * UInt64(index))
            } else {
                low |= UInt64(byte) << (120 - 8 * UInt64(index))
            }
        }
        self.init(high: high, low: low)
    }
}

/// Requests already accepted, each remembered until its signature can no longer be accepted anyway.
///
/// An entry expires at `X-Amz-Date + allowed clock skew` on the same wall clock the skew check uses: after
/// that instant the request is refused with `clock_skew`, so forgetting it opens no window.
///
/// **When full** (`capacity` live entries — about: the limit is per shard), ``insert(_:expiresAt:now:)``
/// answers ``InsertResult/full`` and the caller refuses the request (fail closed): evicting a live entry
/// would make that request replayable, which is what this cache exists to prevent. Only requests that
/// passed every check — a trusted certificate, an allowed role — are inserted, each certificate is rate
/// limited, and entries live at most twice the skew (10 minutes), so filling it takes many authorized
/// certificates working together; sustained legitimate load fills it only above about
/// `capacity / 300` issued credentials per second.
public final class ReplayCache: Sendable {
    public enum InsertResult: Sendable, Equatable {
        case inserted
        /// The key is present and unexpired: a replay.
        case replayed
        /// No room for another live entry.
        case full
    }

    public let capacity: Int
    private let shards: [Shard]
    private let shardCapacity: Int

    struct ShardState {
        var expiries: [LimitKey: Int64] = [:]
        /// Min-heap on expiry; may hold stale pairs for keys that expired and were inserted again.
        var heap: [(expiry: Int64, key: LimitKey)] = []
    }

    final class Shard: Sendable {
        let state = Locked(ShardState())
    }

    public init(capacity: Int = 1_000_000, shardCount: Int = 16) {
        precondition(capacity > 0 && shardCount > 0)
        self.capacity = capacity
        let count = min(shardCount, capacity)
        self.shards = (0..<count).map { _ in Shard() }
        self.shardCapacity = max(1, capacity / count)
    }

    private func shard(_ key: LimitKey) -> Shard {
        shards[Int(UInt(bitPattern: key.hashValue) % UInt(shards.count))]
    }

    /// Whether `key` was inserted and has not expired at `now` (seconds since the epoch).
    public func contains(_ key: LimitKey, now: Int64) -> Bool {
        shard(key).state.withLock { state in state.expiries[key].map { $0 >= now } ?? false }
    }

    /// Remembers `key` until `expiresAt` (inclusive), atomically with the check that it is new.
    public func insert(_ key: LimitKey, expiresAt: Int64, now: Int64) -> InsertResult {
        let capacity = shardCapacity
        return shard(key).state.withLock { state in
            Self.purge(&state, now: now)
            if let expiry = state.expiries[key], expiry >= now { return .replayed }
            guard state.expiries.count < capacity else { return .full }
            state.expiries[key] = expiresAt
            Self.push(&state.heap, (expiresAt, key))
            return .inserted
        }
    }

    /// Live entries (expired ones linger until the next insert into their shard).
    public var count: Int { shards.reduce(0) { total, shard in total + shard.state.withLock { $0.expiries.count } } }

    /// Forgets every entry that expired before `now`.
    public func purge(now: Int64) {
        for shard in shards { shard.state.withLock { Self.purge(&$0, now: now) } }
    }

    private static func purge(_ state: inout ShardState, now: Int64) {
        while let top = state.heap.first, top.expiry < now {
            pop(&state.heap)
            if state.expiries[top.key] == top.expiry { state.expiries[top.key] = nil }
        }
    }

    private static func push(_ heap: inout [(expiry: Int64, key: LimitKey)], _ element: (Int64, LimitKey)) {
        heap.append(element)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].expiry < heap[parent].expiry else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private static func pop(_ heap: inout [(expiry: Int64, key: LimitKey)]) {
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].expiry < heap[smallest].expiry { smallest = left }
            if right < heap.count, heap[right].expiry < heap[smallest].expiry { smallest = right }
            if smallest == parent { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
