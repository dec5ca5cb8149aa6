import AnchorageBasics

/// A clock that never goes backwards (unaffected by wall-clock steps), injected so rate limits are
/// testable without sleeping.
public protocol MonotonicClock: Sendable {
    /// Nanoseconds since an arbitrary, fixed origin.
    var nanoseconds: UInt64 { get }
}

/// `CLOCK_MONOTONIC` (``MonotonicTime``).
public struct SystemMonotonicClock: MonotonicClock {
    public init() {}
    public var nanoseconds: UInt64 { MonotonicTime.nanoseconds }
}
