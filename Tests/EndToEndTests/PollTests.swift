import AnchorageTestSupport
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

    @Test("a condition that never holds ends with one look taken at or after the deadline, and no more")
    func neverTrueEndsAfterTheDeadline() async throws {
        let starts = Mutex<[Date]>([])
        let called = Date()
        let value = try await poll(for: 0.3, every: 0.05) { () -> Int? in
            starts.withLock { $0.append(Date()) }
            return nil
        }
        #expect(value == nil)
        // Ordering, not seconds: poll's own deadline lies between `called + 0.3` and `first + 0.3`, so every
        // look but the last began before `first + 0.3`, and the last began at or after `called + 0.3`.
        let looks = starts.withLock { $0 }
        let first = try #require(looks.first)
        let last = try #require(looks.last)
        #expect(last >= called.addingTimeInterval(0.3))
        #expect(looks.dropLast().allSatisfy { $0 < first.addingTimeInterval(0.3) })
    }

    @Test("a value found early is returned from the first look")
    func earlyValue() async throws {
        let attempts = Mutex(0)
        let value = try await poll(for: 30) { () -> Int? in
            attempts.withLock { $0 += 1 }
            return 7
        }
        #expect(value == 7)
        #expect(attempts.withLock { $0 } == 1)
    }
}
