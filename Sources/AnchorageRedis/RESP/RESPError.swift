/// Why a byte stream is not a RESP2 reply this client accepts. Messages quote nothing the server sent
/// beyond a type byte in hex, so they are safe to log.
public struct RESPError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// A type byte other than `+ - : $ *`.
        case unknownType = "unknown_type"
        /// A length or integer that is not `-?[0-9]+` within Int64, or a negative length other than -1.
        case badNumber = "bad_number"
        /// A line without its CR LF, a bulk string not followed by CR LF, or a CR inside a line.
        case badFraming = "bad_framing"
        /// A bulk string over ``RESPLimits/maxBulkBytes``, a line over ``RESPLimits/maxLineBytes``, or an
        /// array over ``RESPLimits/maxArrayCount``.
        case tooLong = "too_long"
        /// Arrays nested deeper than ``RESPLimits/maxDepth``.
        case tooDeep = "too_deep"
        /// More than ``RESPLimits/maxReplyBytes`` buffered without a complete reply.
        case replyTooLarge = "reply_too_large"
        /// The stream ended inside a reply.
        case truncated
    }

    public var code: Code
    public var detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "RESP \(code.rawValue): \(detail)" }

    public static func == (lhs: RESPError, rhs: RESPError) -> Bool { lhs.code == rhs.code }
}

/// Bounds on what ``RESPReader`` accepts: every reply this client asks for is small, so a larger one
/// is a broken or hostile server, refused before it is buffered.
public struct RESPLimits: Sendable, Equatable {
    /// Longest bulk string.
    public var maxBulkBytes: Int
    /// Longest simple string, error or integer line (without CR LF).
    public var maxLineBytes: Int
    /// Most elements of one array.
    public var maxArrayCount: Int
    /// Deepest nesting of arrays (a flat array is depth 1).
    public var maxDepth: Int
    /// Most bytes buffered for one reply.
    public var maxReplyBytes: Int

    public init(
        maxBulkBytes: Int = 1 << 20, maxLineBytes: Int = 64 * 1024, maxArrayCount: Int = 1 << 20, maxDepth: Int = 8,
        maxReplyBytes: Int = 64 << 20
    ) {
        self.maxBulkBytes = maxBulkBytes
        self.maxLineBytes = maxLineBytes
        self.maxArrayCount = maxArrayCount
        self.maxDepth = maxDepth
        self.maxReplyBytes = maxReplyBytes
    }

    /// The client's defaults.
    public static let standard = RESPLimits()
}
