import AnchorageLocking
import Foundation

/// A small, bounded pool of threads for blocking upstream exchanges, so that no event loop ever waits for an
/// upstream STS.
///
/// The threads start on the first job (a server without brokered roles starts none) and live as long as the
/// pool. At most ``queueLimit`` jobs wait; ``submit(_:)`` refuses more, and the caller answers 503 at once
/// instead of queueing work whose callers would time out anyway.
final class UpstreamWorkerPool: Sendable {
    let threadCount: Int
    let queueLimit: Int
    private let condition = NSCondition()
    private let state = Locked((jobs: [@Sendable () -> Void](), started: false))

    init(threads: Int = 4, queueLimit: Int = 256) {
        self.threadCount = threads
        self.queueLimit = queueLimit
    }

    /// Queues `job`; false when ``queueLimit`` jobs are already waiting (the job is not run).
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let (accepted, start) = state.withLock { state -> (Bool, Bool) in
            guard state.jobs.count < queueLimit else { return (false, false) }
            state.jobs.append(job)
            let start = !state.started
            state.started = true
            return (true, start)
        }
        guard accepted else { return false }
        if start {
            for index in 0..<threadCount {
                let thread = Thread { [self] in run() }
                thread.name = "anchorage-upstream-\(index)"
                thread.start()
            }
        }
        condition.signal()
        return true
    }

    private func run() {
        while true {
            condition.lock()
            var job: (@Sendable () -> Void)?
            while job == nil {
                job = state.withLock { state in state.jobs.isEmpty ? nil : state.jobs.removeFirst() }
                if job == nil { condition.wait() }
            }
            condition.unlock()
            job?()
        }
    }
}
