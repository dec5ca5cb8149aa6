/// One RESP2 reply from a Redis server (RESP3 types are refused: the client never sends `HELLO 3`).
public enum RESPValue: Sendable, Equatable {
    /// `+OK\r\n`
    case simpleString(String)
    /// `-ERR message\r\n`: a command failed; the connection stays usable.
    case error(String)
    /// `:42\r\n`
    case integer(Int64)
    /// `$3\r\nfoo\r\n`; nil for the null bulk string `$-1\r\n`.
    case bulkString([UInt8]?)
    /// `*2\r\n…`; nil for the null array `*-1\r\n`.
    case array([RESPValue]?)

    /// The text of a simple or bulk string (bulk bytes decoded as UTF-8, invalid sequences replaced).
    public var text: String? {
        switch self {
        case .simpleString(let text): return text
        case .bulkString(let bytes?): return String(decoding: bytes, as: UTF8.self)
        default: return nil
        }
    }

    /// The prefix of an error reply (`ERR`, `NOSCRIPT`, `WRONGPASS`…), nil for other values.
    public var errorCode: Substring? {
        guard case .error(let message) = self else { return nil }
        return message.split(separator: " ", maxSplits: 1).first
    }
}
