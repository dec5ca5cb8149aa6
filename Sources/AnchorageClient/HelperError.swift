/// A failure of the helper that is not the service's answer: bad flags, unreadable files, a key that
/// does not match its certificate, a transport error.
public struct HelperError: Error, Sendable, CustomStringConvertible, Equatable {
    public var message: String
    /// True for errors of the command line itself (exit status 64).
    public var isUsage: Bool

    public init(_ message: String, isUsage: Bool = false) {
        self.message = message
        self.isUsage = isUsage
    }

    public static func usage(_ message: String) -> HelperError { HelperError(message, isUsage: true) }

    public var description: String { message }
}

/// The service answered CreateSession with an error (rest-json: status, `X-Amzn-ErrorType`, `message`).
public struct ServiceError: Error, Sendable, CustomStringConvertible, Equatable {
    public var status: Int
    /// The error code (`AccessDeniedException`, …), without any `:namespace` suffix.
    public var type: String
    public var message: String
    public var requestId: String?

    public init(status: Int, type: String, message: String, requestId: String?) {
        self.status = status
        self.type = type
        self.message = message
        self.requestId = requestId
    }

    /// `AccessDeniedException: Untrusted Signing Certificate (HTTP 403, request id …)`.
    public var description: String {
        var text = "\(type): \(message) (HTTP \(status)"
        if let requestId, !requestId.isEmpty { text += ", request id \(requestId)" }
        return text + ")"
    }

    /// Throttling codes the AWS SDKs' standard retryer retries.
    static let throttlingCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
        "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled",
        "SlowDown", "PriorRequestNotComplete", "EC2ThrottledException",
    ]

    /// Whether the standard retryer would try again: 5xx, 429 and throttling codes; never other 4xx.
    public var isRetryable: Bool {
        status >= 500 || status == 429 || Self.throttlingCodes.contains(type)
    }
}
