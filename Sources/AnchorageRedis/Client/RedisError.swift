/// A failed Redis command or connection. Never carries a password or a command's arguments.
public struct RedisError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The URL or options are wrong (at start-up).
        case invalidEndpoint = "invalid_endpoint"
        /// No connection: Redis is down or unreachable, or authentication failed.
        case unavailable
        /// The command's deadline passed before its reply.
        case timeout
        /// The queue of commands waiting for the connection is full.
        case queueFull = "queue_full"
        /// The server's bytes were not a RESP2 reply this client accepts (the connection is closed).
        case protocolError = "protocol_error"
        /// The client was stopped.
        case stopped
    }

    public var code: Code
    public var detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(code.rawValue): \(detail)" }

    /// The refusal of a command while the client knows Redis is down, with the last attempt's reason when known.
    static func unreachable(_ lastFailure: String?) -> RedisError {
        RedisError(.unavailable, "Redis is unreachable" + (lastFailure.map { " (\($0))" } ?? ""))
    }

    public static func == (lhs: RedisError, rhs: RedisError) -> Bool { lhs.code == rhs.code }
}
