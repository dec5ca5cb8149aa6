import AnchorageLocking

/// A response that a handler finishes later, from any thread: ``HTTPHandler/handle(_:)`` returns
/// ``HTTPResponse/pending(_:)`` with a promise, starts the work that needs an answer from elsewhere (a shared
/// store, an upstream service) without blocking the event loop, and calls ``complete(_:)`` when it has one.
///
/// The connection reads nothing more until then, so answers keep their order. The handler must complete every
/// promise within its own deadline, on every path: the server never invents an answer for it.
public final class HTTPResponsePromise: Sendable {
    private enum State {
        case waiting
        /// The event loop is listening; the closure hands the response to it.
        case attached(@Sendable (HTTPResponse) -> Void)
        /// Completed before the loop attached.
        case completed(HTTPResponse)
        case delivered
    }

    private let state = Locked(State.waiting)

    public init() {}

    /// Delivers `response` to the connection that waits for it. The first call wins; later calls are
    /// ignored. The response may carry a ``HTTPResponse/commit``: it is then held for its commit exactly like
    /// a response returned directly by `handle`.
    public func complete(_ response: HTTPResponse) {
        let deliver = state.withLock { state -> (@Sendable (HTTPResponse) -> Void)? in
            switch state {
            case .waiting:
                state = .completed(response)
                return nil
            case .attached(let deliver):
                state = .delivered
                return deliver
            case .completed, .delivered:
                return nil
            }
        }
        deliver?(response)
    }

    /// Called once by the event loop that sent the placeholder; `deliver` runs on the completing thread (or
    /// at once, when the promise was already completed).
    func attach(_ deliver: @escaping @Sendable (HTTPResponse) -> Void) {
        let early = state.withLock { state -> HTTPResponse? in
            switch state {
            case .waiting:
                state = .attached(deliver)
                return nil
            case .completed(let response):
                state = .delivered
                return response
            case .attached, .delivered:
                return nil
            }
        }
        if let early { deliver(early) }
    }
}
