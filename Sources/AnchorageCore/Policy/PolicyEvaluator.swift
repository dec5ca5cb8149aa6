/// Decides whether a trust policy lets a service principal perform a set of actions.
public enum PolicyEvaluator {
    /// Evaluates `document` for `principalService` requesting all of `actions`.
    ///
    /// IAM logic: deny by default; an applicable `Deny` covering any requested action wins;
    /// otherwise each requested action needs at least one applicable `Allow` covering it
    /// (different statements may allow different actions). A statement applies when its principal
    /// element selects the caller, it covers at least one requested action, and all of its conditions
    /// hold. Of several applicable `Deny` statements, the first in document order is the reason.
    ///
    /// This is the only evaluation: `serve` calls it with `tracing: false`, `explain` and the tests with
    /// `tracing: true`. Tracing changes what is *recorded* (every statement, every condition, even after
    /// the decision is known), never what is *decided*: the reason is computed from the same per-statement
    /// facts either way.
    public static func evaluate(
        _ document: PolicyDocument, principalService: String, actions: [String], context: RequestContext,
        tracing: Bool = true
    ) -> PolicyDecision {
        var trace: [StatementTrace] = []
        if tracing { trace.reserveCapacity(document.statements.count) }
        var firstDeny: (index: Int, sid: String?)?
        var allowed = [Bool](repeating: false, count: actions.count)
        for (index, statement) in document.statements.enumerated() {
            let principalMatched = statement.appliesTo(service: principalService)
            let covered = actions.map { statement.covers(action: $0) }
            let conditionsHold: Bool
            if tracing {
                let conditions = statement.conditions.map { condition in
                    let values = context.values(for: condition.key)
                    return ConditionTrace(
                        operator: condition.operator.description, key: condition.key, policyValues: condition.values,
                        contextValues: values, result: ConditionMatcher.holds(condition, contextValues: values))
                }
                conditionsHold = conditions.allSatisfy(\.result)
                trace.append(
                    StatementTrace(
                        index: index, sid: statement.sid, effect: statement.effect,
                        principalMatched: principalMatched,
                        matchedActions: zip(actions, covered).filter(\.1).map(\.0), conditions: conditions))
            } else {
                conditionsHold = statement.conditions.allSatisfy {
                    ConditionMatcher.holds($0, contextValues: context.values(for: $0.key))
                }
            }
            let applies = principalMatched && covered.contains(true) && conditionsHold
            guard applies else { continue }
            switch statement.effect {
            case .deny:
                if firstDeny == nil { firstDeny = (index, statement.sid) }
            case .allow:
                for (bit, isCovered) in covered.enumerated() where isCovered { allowed[bit] = true }
            }
            // The first applicable Deny decides; nothing after it can change the reason.
            if firstDeny != nil && !tracing { break }
        }
        let reason: PolicyDecision.Reason
        if let deny = firstDeny {
            reason = .explicitDeny(statementIndex: deny.index, sid: deny.sid)
        } else if actions.isEmpty {
            // Nothing requested is not "everything allowed": refuse rather than grant vacuously.
            reason = .noMatchingAllow(missingActions: [])
        } else {
            let missing = zip(actions, allowed).filter { !$0.1 }.map(\.0)
            reason = missing.isEmpty ? .allowed : .noMatchingAllow(missingActions: missing)
        }
        return PolicyDecision(allowed: reason == .allowed, reason: reason, trace: trace)
    }
}
