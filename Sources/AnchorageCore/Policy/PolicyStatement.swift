/// One statement of a trust policy, validated.
public struct PolicyStatement: Equatable, Sendable {
    /// `Allow` or `Deny`, spelled exactly.
    public enum Effect: String, Sendable {
        case allow = "Allow"
        case deny = "Deny"
    }

    /// The optional `Sid`, shown in traces and deny reasons.
    public var sid: String?
    /// Whether an applicable statement allows or denies.
    public var effect: Effect
    /// The principal element (`NotPrincipal` is refused in trust policies, as IAM refuses it).
    public var principal: PolicyPrincipal
    /// Action patterns (IAM glob, ASCII case-insensitive); see ``actionsAreNegated``.
    public var actions: [String]
    /// True when written as `NotAction`: the statement covers every action *not* matched.
    public var actionsAreNegated: Bool
    /// All must hold (AND), in document order.
    public var conditions: [PolicyCondition]

    /// Builds a statement from already-valid parts.
    public init(
        sid: String? = nil, effect: Effect, principal: PolicyPrincipal,
        actions: [String], actionsAreNegated: Bool = false, conditions: [PolicyCondition] = []
    ) {
        self.sid = sid
        self.effect = effect
        self.principal = principal
        self.actions = actions
        self.actionsAreNegated = actionsAreNegated
        self.conditions = conditions
    }

    /// Whether the principal element selects `service`.
    public func appliesTo(service: String) -> Bool {
        principal.matches(service: service)
    }

    /// Whether the action element covers `action` (after `NotAction` inversion).
    public func covers(action: String) -> Bool {
        actions.contains { Glob.matches($0, action, ignoringCase: true) } != actionsAreNegated
    }
}
