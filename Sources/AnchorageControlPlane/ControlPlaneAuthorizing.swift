/// Decides whether a caller may perform one ``AuthorizationRequest``. The one implementation evaluates the
/// identity policies (`RolePolicyList`) of the caller's role with IAM semantics; tests may supply their own.
public protocol ControlPlaneAuthorizing: Sendable {
    /// Allowed, or denied with a stable reason code for the audit log (never sent to the caller).
    func authorize(_ caller: ControlPlaneCaller, _ request: AuthorizationRequest) -> AuthorizationDecision

    /// ``authorize(_:_:)`` with, on denial, a detail for the audit log's `detail` (which policy and statement
    /// denied, which resource no policy allows). Never sent to the caller.
    func authorizeExplained(_ caller: ControlPlaneCaller, _ request: AuthorizationRequest)
        -> (decision: AuthorizationDecision, detail: String?)
}

extension ControlPlaneAuthorizing {
    /// An authorizer without details: the decision alone.
    public func authorizeExplained(_ caller: ControlPlaneCaller, _ request: AuthorizationRequest)
        -> (decision: AuthorizationDecision, detail: String?)
    {
        (authorize(caller, request), nil)
    }
}

/// The outcome of ``ControlPlaneAuthorizing/authorize(_:_:)``.
public enum AuthorizationDecision: Sendable, Equatable {
    case allowed
    /// `reason` is a stable code such as `explicit_deny`, `no_allowing_policy` or `cross_account`.
    case denied(reason: String)
}
