extension HTTPRequest {
    /// Why ``parse(_:remoteAddress:configuration:)`` found no request: the status the server would answer and why.
    public struct ParseFailure: Error, CustomStringConvertible {
        public var status: Int
        public var reason: String
        public var description: String { "\(status): \(reason)" }
    }

    /// The one complete request in `bytes`, parsed as the server parses it (``HTTPServerConfiguration``'s limits),
    /// for tools that hand requests to a handler without a socket. Fails when the bytes are not exactly one whole
    /// request.
    public static func parse(
        _ bytes: [UInt8], remoteAddress: String, configuration: HTTPServerConfiguration = HTTPServerConfiguration()
    ) throws(ParseFailure) -> HTTPRequest {
        var parser = HTTPRequestParser(limits: configuration.parserLimits, remoteAddress: remoteAddress)
        parser.append(bytes)
        switch parser.next() {
        case .request(let request):
            guard parser.bufferedByteCount == 0 else {
                throw ParseFailure(status: 400, reason: "bytes after the request")
            }
            return request
        case .needMore: throw ParseFailure(status: 400, reason: "incomplete request")
        case .failure(let status, let reason): throw ParseFailure(status: status, reason: reason)
        }
    }
}
