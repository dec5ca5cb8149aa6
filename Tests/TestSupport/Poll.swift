public import Foundation

/// Calls `attempt` until it returns a value, or until an attempt that started at or after the deadline
/// (`seconds` from the call) returns nil; then returns nil.
///
/// The last attempt always starts after the deadline, so "not by the deadline" is only concluded from
/// a look taken after it: an attempt that starts a process can outlast a short deadline on a loaded
/// machine, and its answer describes the state when it began.
public func poll<T>(
    for seconds: TimeInterval, every interval: TimeInterval = 0.05, _ attempt: () async throws -> T?
) async throws -> T? {
    let deadline = Date().addingTimeInterval(seconds)
    while true {
        let started = Date()
        if let value = try await attempt() { return value }
        if started >= deadline { return nil }
        let untilDeadline = deadline.timeIntervalSinceNow
        // Not sleeping past the deadline keeps the final look as close to it as the previous attempt allows.
        let pause = untilDeadline > 0 ? min(interval, untilDeadline) : 0
        if pause > 0 { try await Task.sleep(nanoseconds: UInt64(pause * 1_000_000_000)) }
    }
}
