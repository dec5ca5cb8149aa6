#if canImport(Glibc)
    import Glibc
#endif

/// A clock that never goes backwards (unaffected by wall-clock steps), injected so rate limits are
/// testable without sleeping.
public protocol MonotonicClock: Sendable {
    /// Nanoseconds since an arbitrary, fixed origin.
    var nanoseconds: UInt64 { get }
}

/// `CLOCK_MONOTONIC`.
public struct SystemMonotonicClock: MonotonicClock {
    public init() {}
    public var nanoseconds: UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}
