/// Application logic behind an `HTTPServer`.
///
/// `handle` runs inline on the event loop thread that owns the connection, so it must be short and
/// must not block: the loop serves every other connection it owns only between calls. A handler that needs
/// an answer from elsewhere (a shared store, an upstream service) returns ``HTTPResponse/pending(_:)`` and
/// completes its ``HTTPResponsePromise`` later, from any thread.
public protocol HTTPHandler: Sendable {
    /// Produces the response to one complete request. Called exactly once per request.
    func handle(_ request: HTTPRequest) -> HTTPResponse
    /// Called when the codec rejects a request (status 400/408/413/414/431/501…); default implementation returns a plain-text body.
    func malformedRequestResponse(status: Int, reason: String) -> HTTPResponse
    /// Makes durable whatever stands behind every response whose ``HTTPResponse/commit`` has a ticket up
    /// to `ticket`; false when that failed. Called on the server's commit thread, never on an event loop,
    /// one call at a time, before any of those responses is sent; it may block (a disk flush) for as long
    /// as that takes, and the loops go on serving meanwhile.
    func commit(upTo ticket: UInt64) -> Bool
}

extension HTTPHandler {
    /// A `text/plain` body with the reason phrase and the codec's reason.
    public func malformedRequestResponse(status: Int, reason: String) -> HTTPResponse {
        let text = "\(status) \(HTTPResponse.reasonPhrase(for: status)): \(reason)\n"
        return HTTPResponse(
            status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], body: Array(text.utf8))
    }

    /// Nothing to commit: every ticket is durable.
    public func commit(upTo ticket: UInt64) -> Bool { true }
}
