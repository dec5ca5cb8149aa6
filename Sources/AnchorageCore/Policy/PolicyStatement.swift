/// One statement of a trust or identity policy, validated.
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
    /// Resource patterns (ARN globs, code points, case-sensitive); see ``resourcesAreNegated``. Ignored in trust
    /// policies; an identity policy statement always has at least one.
    public var resources: [String]
    /// True when written as `NotResource`: the statement covers every resource *not* matched.
    public var resourcesAreNegated: Bool
    /// All must hold (AND), in document order.
    public var conditions: [PolicyCondition]

    /// Builds a statement from already-valid parts.
    public init(
        sid: String? = nil, effect: Effect, principal: PolicyPrincipal,
        actions: [String], actionsAreNegated: Bool = false, resources: [String] = [],
        resourcesAreNegated: Bool = false, conditions: [PolicyCondition] = []
    ) {
        self.sid = sid
        self.effect = effect
        self.principal = principal
        self.actions = actions
        self.actionsAreNegated = actionsAreNegated
        self.resources = resources
        self.resourcesAreNegated = resourcesAreNegated
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

    /// Whether the resource element covers `resource` (after `NotResource` inversion).
    ///
    /// As IAM matches a `Resource` element: `*` alone covers every resource (also the `*` of actions on no
    /// resource); an ARN pattern is matched part by part (``ConditionMatcher/arnMatches(pattern:value:)``, the
    /// rule `ArnLike` uses), so `*` in one part never swallows a colon; anything else only matches itself, by
    /// code point.
    public func covers(resource: String) -> Bool {
        resources.contains { Self.resourcePattern($0, matches: resource) } != resourcesAreNegated
    }

    static func resourcePattern(_ pattern: String, matches resource: String) -> Bool {
        if CodePoints.equal(pattern, "*") { return true }
        if pattern.hasPrefix("arn:") { return ConditionMatcher.arnMatches(pattern: pattern, value: resource) }
        return CodePoints.equal(pattern, resource)
    }
}
