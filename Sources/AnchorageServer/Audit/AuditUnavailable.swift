public import AnchorageCore

/// The answer when the audit record of a request cannot be written (disk full, I/O error, permissions):
/// the request fails closed — no credential and no identity leave without their record — with a
/// retryable 503 that says nothing about the cause (that goes to the server log).
extension WireError {
    /// `POST /sessions`: 503 `ServiceUnavailableException` (rest-json), which AWS SDKs and helpers retry.
    public static let auditUnavailable = WireError(
        status: 503, type: "ServiceUnavailableException", message: "Service unavailable; try again later")
}

extension STSError {
    /// The STS query API: 503 `ServiceUnavailable` (`Receiver`), as AWS STS answers when it cannot serve.
    public static let auditUnavailable = STSError(.serviceUnavailable)
}
