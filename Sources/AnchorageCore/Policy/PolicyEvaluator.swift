/// Decides whether a trust policy lets a service principal perform a set of actions.
public enum PolicyEvaluator {
    /// Evaluates `document` for `principalService` requesting all of `actions`.
    ///
    /// IAM logic: deny by default; an applicable `Deny` covering any requested action wins;
    /// otherwise each requested action needs at least one applicable `Allow` covering it
    /// (different statements may allow different actions). A statement applies when its principal
    /// element selects the caller and all of its conditions hold.
    public static func evaluate(
        _ document: PolicyDocument, principalService: String, actions: [String], context: RequestContext
    ) -> PolicyDecision {
        let trace = document.statements.enumerated().map { index, statement in
            StatementTrace(
                index: index, sid: statement.sid, effect: statement.effect,
                principalMatched: statement.appliesTo(service: principalService),
                matchedActions: actions.filter { statement.covers(action: $0) },
                conditions: statement.conditions.map { ConditionMatcher.evaluate($0, in: context) })
        }
        let applicable = trace.filter(\.applies)
        if let deny = applicable.first(where: { $0.effect == .deny }) {
            return PolicyDecision(
                allowed: false, reason: .explicitDeny(statementIndex: deny.index, sid: deny.sid), trace: trace)
        }
        // Nothing requested is not "everything allowed": refuse rather than grant vacuously.
        guard !actions.isEmpty else {
            return PolicyDecision(allowed: false, reason: .noMatchingAllow(missingActions: []), trace: trace)
        }
        let allows = applicable.filter { $0.effect == .allow }
        let missing = actions.filter { action in !allows.contains { $0.matchedActions.contains(action) } }
        guard missing.isEmpty else {
            return PolicyDecision(allowed: false, reason: .noMatchingAllow(missingActions: missing), trace: trace)
        }
        return PolicyDecision(allowed: true, reason: .allowed, trace: trace)
    }

    /// ``evaluate(_:principalService:actions:context:)``'s `reason`, without building the per-statement
    /// trace: the request path's form. Statements are visited in order; the first applicable `Deny`
    /// decides, as it does in the traced evaluation.
    static func reason(
        _ document: PolicyDocument, principalService: String, actions: [String], context: RequestContext
    ) -> PolicyDecision.Reason {
        guard actions.count <= 64 else {
            return evaluate(document, principalService: principalService, actions: actions, context: context).reason
        }
        var allowedMask: UInt64 = 0
        for (index, statement) in document.statements.enumerated() {
            guard statement.appliesTo(service: principalService) else { continue }
            var covered: UInt64 = 0
            for (bit, action) in actions.enumerated() where statement.covers(action: action) {
                covered |= 1 << UInt64(bit)
            }
            guard covered != 0 else { continue }
            guard statement.conditions.allSatisfy({ ConditionMatcher.holds($0, in: context) }) else { continue }
            switch statement.effect {
            case .deny: return .explicitDeny(statementIndex: index, sid: statement.sid)
            case .allow: allowedMask |= covered
            }
        }
        guard !actions.isEmpty else { return .noMatchingAllow(missingActions: []) }
        var missing: [String] = []
        for (bit, action) in actions.enumerated() where allowedMask & (1 << UInt64(bit)) == 0 { missing.append(action) }
        return missing.isEmpty ? .allowed : .noMatchingAllow(missingActions: missing)
    }
}
