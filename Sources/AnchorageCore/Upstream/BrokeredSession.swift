/// A CreateSession that Anchorage allowed for a brokered role (``Role/upstream``): what to ask the upstream STS
/// for, and how to answer the caller once it has answered.
///
/// The decision is complete when this exists (signature, path, revocation, profile, trust policy, replay): the
/// upstream only ever sees requests Anchorage would have issued credentials for itself.
public struct BrokeredSession: Sendable {
    public var upstream: Upstream
    public var parameters: AssumeRoleParameters
    /// Keys of the principal tags not sent (``UpstreamSessionTags``), for the audit log.
    public var droppedTagKeys: [String]
    /// The role's ARN, the `roleArn` of the response.
    public var roleArn: String
    /// The source identity derived from the certificate (the response's `sourceIdentity`).
    public var sourceIdentity: String
    /// The Roles Anywhere subject ARN, as a self-issued session would carry.
    public var subjectArn: String

    public init(
        upstream: Upstream, parameters: AssumeRoleParameters, droppedTagKeys: [String], roleArn: String,
        sourceIdentity: String, subjectArn: String
    ) {
        self.upstream = upstream
        self.parameters = parameters
        self.droppedTagKeys = droppedTagKeys
        self.roleArn = roleArn
        self.sourceIdentity = sourceIdentity
        self.subjectArn = subjectArn
    }

    /// The CreateSession response carrying the upstream's credentials, `Expiration` and assumed-role ARN.
    public func response(_ issued: AssumeRoleResponse.Issued) -> CreateSessionResponse {
        CreateSessionResponse(
            credentials: issued.credentials, assumedRoleArn: issued.assumedRoleArn,
            assumedRoleId: issued.assumedRoleId, roleArn: roleArn, sourceIdentity: sourceIdentity,
            subjectArn: subjectArn, packedPolicySize: issued.packedPolicySize ?? 0)
    }
}

/// What the audit log records of an upstream exchange: the upstream's name, its request id, the assumed-role ARN
/// (on success) or the error code (on failure), and the tags left out.
public struct UpstreamExchange: Sendable, Equatable {
    public var name: String
    public var requestId: String?
    public var assumedRoleArn: String?
    public var errorCode: String?
    public var droppedTagKeys: [String]
    /// Attempts made (1, or 2 after a retryable failure).
    public var attempts: Int

    public init(
        name: String, requestId: String? = nil, assumedRoleArn: String? = nil, errorCode: String? = nil,
        droppedTagKeys: [String] = [], attempts: Int = 1
    ) {
        self.name = name
        self.requestId = requestId
        self.assumedRoleArn = assumedRoleArn
        self.errorCode = errorCode
        self.droppedTagKeys = droppedTagKeys
        self.attempts = attempts
    }
}

extension CreateSessionOutcome {
    /// The final outcome of a ``CreateSessionOutcome/Result/brokered(_:)`` decision once the upstream answered
    /// `answer` after `attempts` attempts: issued with the upstream's credentials, or denied with the reason the
    /// failure maps to and its full cause in ``detail`` (for the audit log only).
    public func completed(
        _ session: BrokeredSession, answer: Swift.Result<AssumeRoleResponse.Issued, UpstreamFailure>, attempts: Int
    ) -> CreateSessionOutcome {
        var exchange = UpstreamExchange(
            name: session.upstream.name, droppedTagKeys: session.droppedTagKeys, attempts: attempts)
        switch answer {
        case .success(let issued):
            exchange.requestId = issued.requestId
            exchange.assumedRoleArn = issued.assumedRoleArn
            var outcome = CreateSessionOutcome(
                result: .issued(session.response(issued)), detail: "issued by upstream \(session.upstream.name)",
                subject: subject)
            outcome.upstream = exchange
            return outcome
        case .failure(let failure):
            exchange.requestId = failure.requestId
            exchange.errorCode = failure.code
            var outcome = CreateSessionOutcome(
                result: .denied(failure.denialReason),
                detail: "upstream \(session.upstream.name): \(failure.detail)", subject: subject)
            outcome.upstream = exchange
            return outcome
        }
    }
}
