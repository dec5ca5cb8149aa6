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

/// Empties the thread-local OpenSSL error queue into readable strings: `error:CODE:LIB:FUNC:REASON`, then
/// `: DATA` when the error carries text (as `ERR_print_errors` shows it). Providers put their own reasons
/// there: the tpm2 provider the TPM's response code, in decimal, and its decoding.
func drainOpenSSLErrors() -> [String] {
    var out: [String] = []
    while true {
        var data: UnsafePointer<CChar>?
        var flags: Int32 = 0
        let code = ERR_get_error_all(nil, nil, nil, &data, &flags)
        if code == 0 { break }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        var text = string(fromCBuffer: buffer)
        if flags & ERR_TXT_STRING != 0, let data, data.pointee != 0 {
            text += ": " + String(String(cString: data).prefix(200))
        }
        out.append(text)
    }
    return out
}
