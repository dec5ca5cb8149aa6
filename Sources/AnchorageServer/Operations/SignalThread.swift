import AnchorageHTTP
import Foundation

/// SIGTERM, SIGINT, SIGHUP and SIGUSR1 for `serve`: blocked in every thread and taken by one thread with
/// `sigwait(2)`, which hands each to a callback.
///
/// Dispatch's signal sources, used before, install a handler that re-raises the signal to Dispatch's
/// manager thread; under ThreadSanitizer (which defers handlers) SIGTERM was lost that way and the
/// server never stopped. With the signals blocked everywhere and waited for synchronously, no handler
/// runs at all, whatever thread the kernel picks.
enum SignalThread {
    /// The signals `serve` acts on.
    static let handled: [Int32] = [SIGTERM, SIGINT, SIGHUP, SIGUSR1]

    /// Blocks the handled signals in the calling thread. Call it before any other thread is started:
    /// threads inherit the mask, and a thread that does not block them could take the default action
    /// (termination without draining). A signal that arrives before ``start(_:)`` waits, pending.
    static func blockHandledSignals() {
        var set = signalSet()
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Starts the thread that waits for the handled signals and calls `received` with each, on that thread.
    static func start(_ received: @escaping @Sendable (Int32) -> Void) {
        let thread = Thread {
            ThreadName.setCurrent("signals")
            var set = signalSet()
            while true {
                var signalNumber: Int32 = 0
                guard sigwait(&set, &signalNumber) == 0 else { continue }
                received(signalNumber)
            }
        }
        thread.stackSize = 256 * 1024
        thread.start()
    }

    private static func signalSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signalNumber in handled { sigaddset(&set, signalNumber) }
        return set
    }
}
