/// The answer to one control-plane call, with what the audit log records about it.
public struct ControlPlaneResponse: Sendable {
    public var status: Int
    /// Header fields besides the ones the HTTP glue adds (`x-amzn-RequestId`, `Content-Length`).
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// What the audit record of this call says.
    public var audit: ControlPlaneAuditFacts

    public init(
        status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = [], audit: ControlPlaneAuditFacts
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.audit = audit
    }
}

/// The audit fields of a control-plane call: the action, the resource, the outcome and its reason.
public struct ControlPlaneAuditFacts: Sendable, Equatable {
    /// `rolesanywhere:CreateProfile`, or the operation name when the request did not parse far enough.
    public var action: String
    /// The resource ARN, when known.
    public var resource: String?
    /// `allowed`, `denied` or `error` (contract §5's outcomes).
    public var outcome: String
    /// A stable machine-readable code on denial or error.
    public var reason: String?
    /// The precise cause, for the audit log only (never sent to the caller).
    public var detail: String?

    public init(action: String, resource: String?, outcome: String, reason: String? = nil, detail: String? = nil) {
        self.action = action
        self.resource = resource
        self.outcome = outcome
        self.reason = reason
        self.detail = detail
    }
}
