/// A response produced by a handler. The encoder adds `Content-Length`, `Date` and `Connection`.
public struct HTTPResponse: Sendable {
    /// The status code (200, 404…).
    public var status: Int
    /// Header fields; `Content-Length`, `Transfer-Encoding` and `Connection` set here are replaced by the encoder.
    public var headers: HTTPHeaders
    /// The body; not sent for `HEAD`, 204 and 304.
    public var body: [UInt8]

    /// A response with `status`, `headers` and `body`.
    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
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
