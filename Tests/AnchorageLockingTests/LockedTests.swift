import AnchorageLocking
import Foundation
import Testing

@Suite struct LockedTests {
    /// Four threads each add 1 a hundred thousand times under contention: no update is lost.
    @Test func contendedUpdatesAreNotLost() {
        let counter = Locked([Int: Int]())
        let group = DispatchGroup()
        for _ in 0..<4 {
            group.enter()
            Thread.detachNewThread {
                for index in 0..<100_000 { counter.withLock { $0[index % 16, default: 0] += 1 } }
                group.leave()
            }
        }
        group.wait()
        #expect(counter.withLock { $0.values.reduce(0, +) } == 400_000)
        #expect(counter.withLock { $0.count } == 16)
    }

    struct Refused: Error, Equatable {}

    /// A typed error thrown inside passes through unchanged, and the lock is released after it.
    @Test func aThrowingBodyReleasesTheLock() {
        let value = Locked(1)
        #expect(throws: Refused()) {
            try value.withLock { (number: inout Int) throws(Refused) -> Void in
                number = 2
                throw Refused()
            }
        }
        #expect(value.withLock { $0 } == 2)
    }
}
