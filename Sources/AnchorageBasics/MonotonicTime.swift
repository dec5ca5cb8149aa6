#if canImport(Glibc)
    import Glibc
#endif

/// `CLOCK_MONOTONIC`: time that never goes backwards and does not jump with wall-clock steps, for
/// deadlines, timeouts and latencies. The one reader of that clock; code that must be testable without
/// sleeping takes a clock as a parameter (Core's `MonotonicClock`) whose system form reads this.
public enum MonotonicTime {
    /// Nanoseconds since an arbitrary, fixed origin (the boot, on Linux).
    public static var nanoseconds: UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    /// Seconds since the same origin as ``nanoseconds``.
    public static var seconds: Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
