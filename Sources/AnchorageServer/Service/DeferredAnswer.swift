import AnchorageHTTP
import AnchorageLocking

/// The answer of a request that may be decided on another thread (the shared store's): returned directly when
/// it was delivered before the handler returns (every local decision), else through an
/// ``HTTPResponsePromise`` that the delivery completes.
///
/// The event loop never waits: a shared store always delivers, by its command deadline at the latest.
final class DeferredAnswer: Sendable {
    private enum State {
        case waiting
        case delivered(HTTPResponse)
        /// The handler returned the placeholder: the delivery completes the promise.
        case deferred
    }

    private let state = Locked(State.waiting)
    private let promise = HTTPResponsePromise()

    /// Delivers the answer; the first call wins.
    func deliver(_ response: HTTPResponse) {
        let complete = state.withLock { state -> Bool in
            switch state {
            case .waiting:
                state = .delivered(response)
                return false
            case .deferred: return true
            case .delivered: return false
            }
        }
        if complete { promise.complete(response) }
    }

    /// What the handler returns: the answer, or a pending placeholder when it is not there yet.
    func response() -> HTTPResponse {
        state.withLock { state in
            if case .delivered(let response) = state { return response }
            state = .deferred
            return .pending(promise)
        }
    }
}
