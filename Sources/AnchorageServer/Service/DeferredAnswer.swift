import AnchorageHTTP
import AnchorageLocking
import Dispatch

/// The answer of a request that may be decided on another thread (a shared store's).
///
/// Until AnchorageHTTP can send a response later (`HTTPResponse.pending`), ``response()`` waits for it on
/// the calling event loop; the wait is bounded by the shared store's command deadline, since every path
/// of the store calls its completion by then.
final class DeferredAnswer: Sendable {
    private let answer = Locked<HTTPResponse?>(nil)
    private let ready = DispatchSemaphore(value: 0)

    /// Delivers the answer; the first call wins.
    func deliver(_ response: HTTPResponse) {
        let first = answer.withLock { answer in
            guard answer == nil else { return false }
            answer = response
            return true
        }
        if first { ready.signal() }
    }

    /// The answer, once delivered.
    func response() -> HTTPResponse {
        if let delivered = answer.withLock({ $0 }) { return delivered }
        ready.wait()
        return answer.withLock { $0! }
    }
}
