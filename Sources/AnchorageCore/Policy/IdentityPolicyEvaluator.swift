/// Decides whether a role's identity policies (`RolePolicyList`) allow one action on a set of resources, with IAM
/// semantics.
///
/// IAM logic, per resource: deny by default; a statement *applies* when it covers the action (`Action`/`NotAction`,
/// ASCII case-insensitive globs), covers the resource (`Resource`/`NotResource`, ARN globs by code point) and all
/// of its conditions hold (``ConditionMatcher``, the same rules as trust policies). An applicable `Deny` for any
/// resource wins; otherwise every resource needs an applicable `Allow` (from any policy, any statement). Of
/// several applicable `Deny` statements, the first (policy order, then statement order) is the reason.
///
/// The cross-account rule and the role lookup are the caller's (``IdentityPolicyDecision`` only knows policies).
public enum IdentityPolicyEvaluator {
    public static func evaluate(
        _ policies: [IdentityPolicy], action: String, resources: [String], context: RequestContext
    ) -> IdentityPolicyDecision {
        // Nothing named is not "everything allowed".
        guard !resources.isEmpty else { return .denied(.noAllowingPolicy(resource: nil)) }
        var allowed = [Bool](repeating: false, count: resources.count)
        for policy in policies {
            for (index, statement) in policy.document.statements.enumerated() where statement.covers(action: action) {
                let covered = resources.map { statement.covers(resource: $0) }
                guard covered.contains(true) else { continue }
                guard
                    statement.conditions.allSatisfy({
                        ConditionMatcher.holds($0, contextValues: context.values(for: $0.key))
                    })
                else { continue }
                switch statement.effect {
                case .deny:
                    return .denied(.explicitDeny(policyName: policy.name, statementIndex: index, sid: statement.sid))
                case .allow:
                    for (bit, isCovered) in covered.enumerated() where isCovered { allowed[bit] = true }
                }
            }
        }
        if let missing = allowed.firstIndex(of: false) {
            return .denied(.noAllowingPolicy(resource: resources[missing]))
        }
        return .allowed
    }
}

/// The outcome of ``IdentityPolicyEvaluator/evaluate(_:action:resources:context:)``.
public enum IdentityPolicyDecision: Equatable, Sendable {
    case allowed
    case denied(Denial)

    /// Why a request was denied.
    public enum Denial: Equatable, Sendable, CustomStringConvertible {
        /// An applicable `Deny` statement: the policy, the statement's index in it and its `Sid`.
        case explicitDeny(policyName: String, statementIndex: Int, sid: String?)
        /// No applicable `Allow` for `resource` (nil when no resource was named at all).
        case noAllowingPolicy(resource: String?)

        /// The stable code the audit log records: `explicit_deny` or `no_allowing_policy`.
        public var code: String {
            switch self {
            case .explicitDeny: return "explicit_deny"
            case .noAllowingPolicy: return "no_allowing_policy"
            }
        }

        /// One line for the audit log's detail.
        public var description: String {
            switch self {
            case .explicitDeny(let name, let index, let sid):
                return "explicit deny by policy \(JSONWriter.quoted(name)) Statement[\(index)]"
                    + (sid.map { " " + JSONWriter.quoted($0) } ?? "")
            case .noAllowingPolicy(let resource):
                return resource.map { "no identity policy allows the action on \($0)" } ?? "no resource named"
            }
        }
    }
}
