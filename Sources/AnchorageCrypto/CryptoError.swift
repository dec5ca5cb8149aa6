internal import COpenSSL

/// A failure inside the cryptographic layer, with OpenSSL's error queue for the logs.
///
/// The `details` may name OpenSSL internals; they are for operators, never for callers of the API.
public struct CryptoError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var details: [String]

    public init(_ message: String, details: [String] = []) {
        self.message = message
        self.details = details
    }

    /// Builds an error from `message` and drains the calling thread's OpenSSL error queue.
    static func drainingQueue(_ message: String) -> CryptoError {
        CryptoError(message, details: drainOpenSSLErrors())
    }

    public var description: String {
        details.isEmpty ? message : "\(message) (\(details.joined(separator: "; ")))"
    }
}

/// Empties the thread-local OpenSSL error queue into readable strings.
func drainOpenSSLErrors() -> [String] {
    var out: [String] = []
    while true {
        let code = ERR_get_error()
        if code == 0 { break }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        out.append(string(fromCBuffer: buffer))
    }
    return out
}
