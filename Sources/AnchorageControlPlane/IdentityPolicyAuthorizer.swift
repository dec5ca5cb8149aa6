public import AnchorageCore

/// The control plane's one authorizer: the identity policies (`RolePolicyList`) of the caller's role in the
/// configuration in force, evaluated with IAM semantics by ``IdentityPolicyEvaluator``.
///
/// Before any policy runs: the caller's role must still be defined, and not created since the session was issued
/// (`role_not_found`), and every resource must
/// be `*` or an ARN of the caller's own account (`cross_account`) — no policy, however broad, reaches another
/// account. The caller's profile's session policies then limit what the role's policies allow. Built per request
/// with the configuration and the time the request is decided at.
public struct IdentityPolicyAuthorizer: ControlPlaneAuthorizing {
    public var configuration: Configuration
    /// Seconds since the Unix epoch (`aws:CurrentTime`, `aws:EpochTime`).
    public var now: Int64

    public init(configuration: Configuration, now: Int64) {
        self.configuration = configuration
        self.now = now
    }

    public func authorize(_ caller: ControlPlaneCaller, _ request: AuthorizationRequest) -> AuthorizationDecision {
        authorizeExplained(caller, request).decision
    }

    public func authorizeExplained(_ caller: ControlPlaneCaller, _ request: AuthorizationRequest)
        -> (decision: AuthorizationDecision, detail: String?)
    {
        switch decide(caller, request) {
        case .allowed: return (.allowed, nil)
        case .denied(let reason, let detail): return (.denied(reason: reason), detail)
        }
    }

    /// The decision with a detail for the audit log (which policy, which resource).
    public enum Detailed: Sendable, Equatable {
        case allowed
        case denied(reason: String, detail: String)
    }

    public func decide(_ caller: ControlPlaneCaller, _ request: AuthorizationRequest) -> Detailed {
        for resource in request.resources where !CodePoints.equal(resource, "*") {
            guard let arn = ARN(resource), CodePoints.equal(arn.account, caller.account) else {
                return .denied(
                    reason: "cross_account", detail: "resource \(resource) is not in account \(caller.account)")
            }
        }
        guard let role = configuration.roles[caller.claims.roleArn] else {
            return .denied(
                reason: "role_not_found", detail: "role \(caller.claims.roleArn) is not in the configuration in force")
        }
        // A role deleted and created again is another role: the session was issued for the one that is gone.
        if let createdAt = role.createdAt, caller.claims.issuedAt < createdAt {
            return .denied(
                reason: "role_not_found",
                detail: "role \(caller.claims.roleArn) was created at \(UTCTimestamp.iso8601(createdAt)), after the "
                    + "session was issued at \(UTCTimestamp.iso8601(caller.claims.issuedAt))")
        }
        let context = RequestContext.controlPlane(
            claims: caller.claims, account: caller.account, region: caller.region, sourceIp: caller.sourceAddress,
            epochSeconds: now, requestKeys: request.requestKeys)
        switch IdentityPolicyEvaluator.evaluate(
            role.identityPolicies, action: request.action, resources: request.resources, context: context)
        {
        case .allowed: break
        case .denied(let denial): return .denied(reason: denial.code, detail: denial.description)
        }
        return sessionPolicyDecision(caller, request, context: context)
    }

    /// The session policies of the caller's profile, which AWS intersects with the role's identity policies: an
    /// inline `sessionPolicy` must allow the call too; `managedPolicyArns` name policies Anchorage cannot read, so
    /// they grant nothing (fail closed). A profile no longer in force refuses everything: its session policies are
    /// unknown, and deleting a restricted profile must not hand its sessions the whole role.
    func sessionPolicyDecision(_ caller: ControlPlaneCaller, _ request: AuthorizationRequest, context: RequestContext)
        -> Detailed
    {
        guard let profile = configuration.profiles[caller.claims.profileArn] else {
            return .denied(
                reason: "profile_not_found",
                detail: "profile \(caller.claims.profileArn) is not in the configuration in force")
        }
        guard profile.sessionPolicy != nil || !profile.managedPolicyArns.isEmpty else { return .allowed }
        guard let text = profile.sessionPolicy else {
            return .denied(
                reason: "session_policy", detail: "profile \(profile.arn) limits its sessions to managed policies")
        }
        let document: PolicyDocument
        do {
            document = try PolicyDocument(json: try JSONParser.parse(text), kind: .identity)
        } catch {
            return .denied(reason: "session_policy", detail: "the session policy of \(profile.arn) does not parse")
        }
        switch IdentityPolicyEvaluator.evaluate(
            [IdentityPolicy(name: "sessionPolicy", document: document)], action: request.action,
            resources: request.resources, context: context)
        {
        case .allowed: return .allowed
        case .denied(let denial):
            return .denied(reason: "session_policy", detail: "session policy of \(profile.arn): \(denial.description)")
        }
    }
}
