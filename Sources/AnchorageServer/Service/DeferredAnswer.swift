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
        case deferred(HTTPResponsePromise)
    }

    private let state = Locked(State.waiting)

    /// Delivers the answer; the first call wins.
    func deliver(_ response: HTTPResponse) {
        let promise = state.withLock { state -> HTTPResponsePromise? in
            switch state {
            case .waiting:
                state = .delivered(response)
                return nil
            case .deferred(let promise): return promise
            case .delivered: return nil
            }
        }
        promise?.complete(response)
    }

    /// What the handler returns: the answer, or a pending placeholder when it is not there yet (the promise is
    /// made only then).
    func response() -> HTTPResponse {
        state.withLock { state in
            switch state {
            case .delivered(let response): return response
            case .deferred(let promise): return .pending(promise)
            case .waiting:
                let promise = HTTPResponsePromise()
                state = .deferred(promise)
                return .pending(promise)
            }
        }
    }
}
