/// A refusal in the API's own error vocabulary: the AWS error type, the HTTP status and a message that
/// names the field at fault. Never a denial reason: those go to the audit log only.
public struct ControlPlaneError: Error, Sendable, Equatable {
    /// `ValidationException`, `ResourceNotFoundException`, `AccessDeniedException`, `TooManyTagsException`,
    /// or IAM's `NoSuchEntity`, `EntityAlreadyExists`, `MalformedPolicyDocument`, …
    public var type: String
    public var status: Int
    public var message: String
    /// The stable code that the audit log records.
    public var reason: String
    /// The precise cause, for the audit log only.
    public var detail: String?
    /// The audit log's outcome: `denied` for an authorization refusal, `error` for everything else.
    public var outcome: String

    public init(
        type: String, status: Int, message: String, reason: String, detail: String? = nil, outcome: String = "error"
    ) {
        self.type = type
        self.status = status
        self.message = message
        self.reason = reason
        self.detail = detail
        self.outcome = outcome
    }
}
