internal import COpenSSL

/// A TLS setup or handshake failure, with OpenSSL's error queue rendered for logs.
public struct TLSError: Error, Sendable, CustomStringConvertible {
    /// What we were doing.
    public var operation: String
    /// OpenSSL's error queue at the time, oldest first; may be empty.
    public var details: [String]

    /// Drains this thread's OpenSSL error queue into a new error.
    package static func fromQueue(_ operation: String) -> TLSError {
        var details: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            details.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return TLSError(operation: operation, details: details)
    }

    /// The operation and OpenSSL's reasons, for logs.
    public var description: String {
        details.isEmpty ? "TLS: \(operation)" : "TLS: \(operation): \(details.joined(separator: "; "))"
    }
}
