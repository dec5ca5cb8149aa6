/// A response produced by a handler. The encoder adds `Content-Length`, `Date` and `Connection`.
public struct HTTPResponse: Sendable {
    /// The status code (200, 404…).
    public var status: Int
    /// Header fields; `Content-Length`, `Transfer-Encoding` and `Connection` set here are replaced by the encoder.
    public var headers: HTTPHeaders
    /// The body; not sent for `HEAD`, 204 and 304.
    public var body: [UInt8]
    /// When set, the server sends this response only after the handler's ``HTTPHandler/commit(upTo:)``
    /// has returned true for a ticket at least the commit's, and sends the commit's fallback instead when
    /// it returned false.
    ///
    /// The server's commit thread commits once for everything the loops asked for while its previous
    /// commit ran, so requests that arrive together share one commit (group commit): an audit record
    /// reaches the disk before its answer leaves at the cost of one flush per batch rather than one per
    /// request, and no event loop waits for the disk.
    public var commit: HTTPCommit?
    /// Set on the placeholder that ``pending(_:)`` builds: the real response comes through the promise.
    public private(set) var pending: HTTPResponsePromise?

    /// A response with `status`, `headers` and `body`.
    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A placeholder for ``HTTPHandler/handle(_:)`` to return when the answer comes later: the connection waits,
    /// reading no further request, until `promise` is completed, and then sends the completed response.
    public static func pending(_ promise: HTTPResponsePromise) -> HTTPResponse {
        var placeholder = HTTPResponse(status: 500)
        placeholder.pending = promise
        return placeholder
    }

    /// The standard reason phrase for `status`, or a generic one.
    public static func reasonPhrase(for status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 411: "Length Required"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 415: "Unsupported Media Type"
        case 417: "Expectation Failed"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default:
            switch status {
            case 100..<200: "Informational"
            case 200..<300: "Success"
            case 300..<400: "Redirection"
            case 400..<500: "Client Error"
            default: "Server Error"
            }
        }
    }
}

/// What a response waits for before it may leave (``HTTPResponse/commit``).
public struct HTTPCommit: Sendable {
    /// The handler's number for what must be durable first; ``HTTPHandler/commit(upTo:)`` receives the
    /// highest ticket of a batch.
    public var ticket: UInt64
    /// Builds the answer sent instead when the commit failed.
    public var fallback: @Sendable () -> HTTPResponse
    /// Told, on the event loop, whether the commit succeeded (so the response itself is the answer) or failed
    /// (so `fallback()` is), once the commit's result is known — also when the client has gone meanwhile.
    public var settled: (@Sendable (_ committed: Bool) -> Void)?

    /// A commit of `ticket`, answered with `fallback()` when it fails; `settled` hears which answer it was.
    public init(
        ticket: UInt64, fallback: @escaping @Sendable () -> HTTPResponse,
        settled: (@Sendable (_ committed: Bool) -> Void)? = nil
    ) {
        self.ticket = ticket
        self.fallback = fallback
        self.settled = settled
    }
}
