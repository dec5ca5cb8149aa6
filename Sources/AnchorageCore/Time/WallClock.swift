#if canImport(Glibc)
    import Glibc
#endif

/// The current time, injected so decisions are reproducible in tests.
public protocol WallClock: Sendable {
    /// Milliseconds since the Unix epoch.
    var milliseconds: Int64 { get }
}

extension WallClock {
    /// Whole seconds since the Unix epoch.
    public var seconds: Int64 { milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000 }
}

/// The system's real-time clock.
public struct SystemClock: WallClock {
    public init() {}
    public var milliseconds: Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}

/// A clock stopped at one instant, for tests.
public struct FixedClock: WallClock {
    public var milliseconds: Int64
    public init(seconds: Int64) { milliseconds = seconds * 1000 }
}
