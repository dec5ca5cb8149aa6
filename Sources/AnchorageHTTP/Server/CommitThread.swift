import AnchorageLocking
import Dispatch

/// Runs the handler's commits (``HTTPHandler/commit(upTo:)``: for Anchorage, the audit log's
/// `fdatasync`) on a thread of their own, so that no event loop ever blocks on the disk.
///
/// A loop holds the answers that wait for a commit, asks for one with the highest ticket among them,
/// and goes on serving its other connections; the result comes back through
/// ``EventLoop/commitFinished(_:)``. Requests that arrive while a commit runs, from every loop, are
/// covered together by the next one (group commit), so under load one flush serves many answers.
final class CommitThread: Sendable {
    /// The outcome of one commit: every ticket up to `through` is durable, or (when `succeeded` is
    /// false) must be treated as lost.
    struct Result: Sendable {
        var through: UInt64
        var succeeded: Bool
    }

    private struct State {
        /// The highest ticket any loop asked for.
        var requested: UInt64 = 0
        /// Loops waiting for a commit that covers what they asked for.
        var waiting: [EventLoop] = []
        var stopping = false
    }

    private let handler: any HTTPHandler
    private let state = Locked(State())
    /// Signalled once per request (and by ``stop()``); a commit may cover several signals, and the
    /// spare wake-ups find nothing to do.
    private let pending = DispatchSemaphore(value: 0)

    init(handler: any HTTPHandler) { self.handler = handler }

    /// Asks for every ticket up to `ticket` to be committed; `loop` hears the result.
    func request(upTo ticket: UInt64, for loop: EventLoop) {
        state.withLock { state in
            state.requested = max(state.requested, ticket)
            if !state.waiting.contains(where: { $0 === loop }) { state.waiting.append(loop) }
        }
        pending.signal()
    }

    /// Lets ``run()`` return once nothing is waiting. Called after the last loop has exited.
    func stop() {
        state.withLock { $0.stopping = true }
        pending.signal()
    }

    /// The thread's body: commits until ``stop()``.
    func run() {
        while true {
            pending.wait()
            // Drain everything asked for so far; a request made during a commit is served by the next.
            while true {
                let (target, waiting, stopping) = state.withLock { state in
                    let waiting = state.waiting
                    state.waiting.removeAll(keepingCapacity: true)
                    return (state.requested, waiting, state.stopping)
                }
                if waiting.isEmpty {
                    if stopping { return }
                    break
                }
                // Every ticket a waiting loop asked for is at most `target`, and each was issued before
                // its request: one commit up to `target` covers them all.
                let result = Result(through: target, succeeded: handler.commit(upTo: target))
                for loop in waiting { loop.commitFinished(result) }
            }
        }
    }
}
