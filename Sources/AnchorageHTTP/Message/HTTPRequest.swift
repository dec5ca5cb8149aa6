import AnchorageBasics

/// A complete HTTP request as received, with its body de-chunked.
public struct HTTPRequest: Sendable {
    /// The method token, case preserved (`GET`, `POST`).
    public var method: String
    /// The request-target exactly as received, e.g. `/sessions?profileArn=arn%3A...`.
    public var target: String
    /// The part of `target` before the first `?`, not percent-decoded.
    public var path: String
    /// The part of `target` after the first `?`, not decoded; `nil` when there is no `?`.
    public var query: String?
    /// `HTTP/1.1` or `HTTP/1.0`.
    public var version: String
    /// The header section in wire order.
    public var headers: HTTPHeaders {
        didSet { lowercaseHeaderNames = Self.lowercaseNames(headers) }
    }
    /// The name of each field of ``headers``, in the same order, with ASCII letters lowercased.
    ///
    /// Built once per request, here, so that every later lookup and the SigV4 canonicalisation compare
    /// names without lowercasing them again (handlers pass these on with the fields). Header names are
    /// tokens, which the parser enforces, so ASCII folding is exact.
    public private(set) var lowercaseHeaderNames: [String]
    /// The exact body bytes.
    public var body: [UInt8]
    /// The peer's IP address as text (`127.0.0.1`, `::1`).
    public var remoteAddress: String

    /// A request; `path` and `query` are split from `target` at the first `?`.
    public init(
        method: String, target: String, version: String = "HTTP/1.1", headers: HTTPHeaders = HTTPHeaders(),
        body: [UInt8] = [], remoteAddress: String = ""
    ) {
        self.method = method
        self.target = target
        if let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) {
            path = String(target[..<mark])
            query = String(target[target.utf8.index(after: mark)...])
        } else {
            path = target
            query = nil
        }
        self.version = version
        self.headers = headers
        lowercaseHeaderNames = Self.lowercaseNames(headers)
        self.body = body
        self.remoteAddress = remoteAddress
    }

    /// The values of the fields called `lowercaseName` (which must be lowercase), in wire order.
    public func headerValues(lowercaseName: String) -> [String] {
        var found: [String] = []
        for (index, name) in lowercaseHeaderNames.enumerated() where name == lowercaseName {
            found.append(headers.fields[index].value)
        }
        return found
    }

    private static func lowercaseNames(_ headers: HTTPHeaders) -> [String] {
        headers.fields.map { ASCII.lowercased($0.name) }
    }
}
