/// Why an upstream exchange gave no credentials, and what the caller is told about it.
///
/// The mapping (the caller never sees the upstream's code or text; the audit log does):
/// - the upstream refused — `AccessDenied` or any other 4xx that is not throttling (an invalid key, a
///   malformed policy, a too-large packed policy) → 403 `AccessDeniedException` (``DenialReason/upstreamAccessDenied``);
/// - throttling (HTTP 429, or the codes `Throttling`, `ThrottlingException`, `RequestLimitExceeded`,
///   `TooManyRequestsException`, `SlowDown`) → 429 `ThrottlingException`, which clients retry
///   (``DenialReason/upstreamThrottled``);
/// - unreachable (connect, TLS, timeout), a 5xx, a redirect (never followed) or another status below 400, an
///   incomplete answer or unreadable credentials → 503
///   (``DenialReason/upstreamUnavailable``); a transport failure or a 5xx is retried once first.
public enum UpstreamFailure: Error, Sendable, Equatable {
    /// The upstream answered with an error; `code` and `message` as it sent them.
    case refused(status: Int, code: String, message: String, requestId: String?)
    case throttled(status: Int, code: String, message: String, requestId: String?)
    /// A 5xx answer.
    case serverError(status: Int, code: String, message: String, requestId: String?)
    /// No answer: connect, TLS or I/O failure, or the timeout.
    case unreachable(String)
    /// A 2xx answer without complete credentials.
    case malformedAnswer(String, String?)
    /// The credentials file could not be read (missing, bad mode, bad JSON).
    case credentialsUnavailable(String)
    /// The worker pool is full: too many exchanges are already waiting.
    case overloaded

    /// Error codes STS, MinIO and Ceph use for throttling.
    public static let throttlingCodes: Set<String> = [
        "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException", "SlowDown",
    ]

    /// Classifies an error answer by its status and code.
    public static func answered(status: Int, code: String, message: String, requestId: String?) -> UpstreamFailure {
        let code = bounded(code, 128)
        let message = bounded(message, 512)
        if status == 429 || throttlingCodes.contains(code) {
            return .throttled(status: status, code: code, message: message, requestId: requestId)
        }
        if status >= 500 { return .serverError(status: status, code: code, message: message, requestId: requestId) }
        return .refused(status: status, code: code, message: message, requestId: requestId)
    }

    /// At most `bytes` UTF-8 bytes of `text` (a cut scalar becomes U+FFFD): the upstream's text goes to a log line
    /// and an audit record on every failure, so its size is Anchorage's, not the upstream's.
    public static func bounded(_ text: String, _ bytes: Int) -> String {
        text.utf8.count <= bytes ? text : String(decoding: text.utf8.prefix(bytes), as: UTF8.self)
    }

    /// Whether one more attempt may help: an unreachable upstream or a 5xx.
    public var isRetryable: Bool {
        switch self {
        case .unreachable, .serverError: return true
        default: return false
        }
    }

    /// What the caller is told (through ``DenialReason/wireError``).
    public var denialReason: DenialReason {
        switch self {
        case .refused: return .upstreamAccessDenied
        case .throttled: return .upstreamThrottled
        case .serverError, .unreachable, .malformedAnswer, .credentialsUnavailable, .overloaded:
            return .upstreamUnavailable
        }
    }

    /// The upstream's request id, when it answered with one.
    public var requestId: String? {
        switch self {
        case .refused(_, _, _, let id), .throttled(_, _, _, let id), .serverError(_, _, _, let id): return id
        case .malformedAnswer(_, let id): return id
        default: return nil
        }
    }

    /// The upstream's error code, or a code of Anchorage's for failures without an answer.
    public var code: String {
        switch self {
        case .refused(_, let code, _, _), .throttled(_, let code, _, _), .serverError(_, let code, _, _):
            return code.isEmpty ? "(none)" : code
        case .unreachable: return "unreachable"
        case .malformedAnswer: return "malformed_answer"
        case .credentialsUnavailable: return "credentials_unavailable"
        case .overloaded: return "overloaded"
        }
    }

    /// The full cause for the audit log (never for the caller).
    public var detail: String {
        switch self {
        case .refused(let status, let code, let message, _), .throttled(let status, let code, let message, _),
            .serverError(let status, let code, let message, _):
            return "HTTP \(status) \(code): \(message)"
        case .unreachable(let why): return "unreachable: \(why)"
        case .malformedAnswer(let why, _): return "malformed answer: \(why)"
        case .credentialsUnavailable(let why): return "credentials file: \(why)"
        case .overloaded: return "too many upstream exchanges waiting"
        }
    }
}
