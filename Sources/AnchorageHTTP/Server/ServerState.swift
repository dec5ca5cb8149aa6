import Synchronization

/// State every event loop of one server shares: the connection budget and the drain signal.
final class ServerState: Sendable {
    private let connections = Atomic<Int>(0)
    private let drainingFlag = Atomic<Bool>(false)
    /// Monotonic deadline of the drain, in nanoseconds; valid once `draining` is true.
    private let drainDeadlineNanos = Atomic<Int64>(0)
    let maxConnections: Int
    /// Returns from `epoll_wait`, summed over the loops: a loop that spins shows here (tests watch it).
    private let wakeUps = Atomic<UInt64>(0)

    init(maxConnections: Int) { self.maxConnections = max(maxConnections, 0) }

    var connectionCount: Int { connections.load(ordering: .relaxed) }

    var wakeUpCount: UInt64 { wakeUps.load(ordering: .relaxed) }

    func noteWakeUp() { wakeUps.add(1, ordering: .relaxed) }

    /// Reserves a connection slot; false when the server is full.
    func acquireConnection() -> Bool {
        var current = connections.load(ordering: .relaxed)
        while current < maxConnections {
            let (exchanged, original) = connections.compareExchange(
                expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }

    func releaseConnection() { connections.subtract(1, ordering: .relaxed) }

    var draining: Bool { drainingFlag.load(ordering: .acquiring) }

    var drainDeadline: Double { Double(drainDeadlineNanos.load(ordering: .relaxed)) / 1e9 }

    func beginDrain(deadline: Double) {
        drainDeadlineNanos.store(Int64(deadline * 1e9), ordering: .relaxed)
        drainingFlag.store(true, ordering: .releasing)
    }
}
