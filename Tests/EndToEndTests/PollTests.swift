import Foundation
import Synchronization
import Testing

/// `poll(for:every:_:)`, which many end-to-end tests use to wait for a reload or a rotation: it must not
/// report "not by the deadline" from a look that began before the deadline.
@Suite("poll helper")
struct PollTests {
    @Test("an attempt that outlasts the deadline is followed by one more look")
    func slowAttemptGetsAFinalLook() async throws {
        let attempts = Mutex(0)
        let changedAt = Date().addingTimeInterval(0.1)
        let value = try await poll(for: 0.2) { () async throws -> Int? in
            let number = attempts.withLock { count -> Int in
                count += 1
                return count
            }
            // The state as of the attempt's start: the first look begins before the change and takes
            // longer than the whole deadline, as a process start can under load.
            let sawChange = Date() >= changedAt
            if number == 1 { try await Task.sleep(nanoseconds: 400_000_000) }
            return sawChange ? number : nil
        }
        #expect(value == 2)
    }

    @Test("a condition that never holds ends with a look taken at or after the deadline")
    func neverTrueEndsAfterTheDeadline() async throws {
        let lastStart = Mutex<Date?>(nil)
        let called = Date()
        let value = try await poll(for: 0.3, every: 0.05) { () -> Int? in
            lastStart.withLock { $0 = Date() }
            return nil
        }
        #expect(value == nil)
        let last = try #require(lastStart.withLock { $0 })
        #expect(last.timeIntervalSince(called) >= 0.3)
        #expect(Date().timeIntervalSince(called) < 5)
    }

    @Test("a value found early is returned at once")
    func earlyValue() async throws {
        let called = Date()
        let value = try await poll(for: 30) { 7 }
        #expect(value == 7)
        #expect(Date().timeIntervalSince(called) < 5)
    }
}
