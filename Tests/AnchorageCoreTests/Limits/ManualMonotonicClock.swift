import AnchorageCore
import Synchronization

/// A monotonic clock that moves only when told to.
final class ManualMonotonicClock: MonotonicClock {
    private let now = Atomic<UInt64>(1_000_000_000)
    var nanoseconds: UInt64 { now.load(ordering: .relaxed) }
    func advance(seconds: Double) { now.add(UInt64(seconds * 1e9), ordering: .relaxed) }
}
