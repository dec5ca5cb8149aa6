/// How one statement was evaluated against a request.
public struct StatementTrace: Equatable, Sendable, CustomStringConvertible {
    /// Position in the policy's `Statement` list, from 0.
    public var index: Int
    /// The statement's `Sid`, if any.
    public var sid: String?
    /// The statement's effect.
    public var effect: PolicyStatement.Effect
    /// Whether `Principal` selected the caller.
    public var principalMatched: Bool
    /// The requested actions this statement's `Action`/`NotAction` covers, in request order.
    public var matchedActions: [String]
    /// Every condition, evaluated even after one failed, so the trace is complete.
    public var conditions: [ConditionTrace]

    /// Builds a trace entry (the evaluator is the usual author).
    public init(
        index: Int, sid: String?, effect: PolicyStatement.Effect, principalMatched: Bool, matchedActions: [String],
        conditions: [ConditionTrace]
    ) {
        self.index = index
        self.sid = sid
        self.effect = effect
        self.principalMatched = principalMatched
        self.matchedActions = matchedActions
        self.conditions = conditions
    }

    /// True when every condition holds (vacuously when there are none).
    public var conditionsHold: Bool { conditions.allSatisfy(\.result) }

    /// True when the statement takes part in the decision: principal selected, at least one
    /// requested action covered, and all conditions hold.
    public var applies: Bool { principalMatched && !matchedActions.isEmpty && conditionsHold }

    /// A multi-line, human-readable account, e.g.
    /// ```
    /// Statement[0] "TrustRA" Allow: applies
    ///   principal: matched
    ///   actions: sts:AssumeRole, sts:TagSession
    ///   condition ArnEquals aws:SourceArn ["arn:…"] vs ["arn:…"] -> true
    /// ```
    public var description: String {
        let name = sid.map { " " + JSONWriter.quoted($0) } ?? ""
        var lines = ["Statement[\(index)]\(name) \(effect.rawValue): \(applies ? "applies" : "does not apply")"]
        lines.append("  principal: \(principalMatched ? "matched" : "not matched")")
        lines.append(
            "  actions: \(matchedActions.isEmpty ? "(none of the requested)" : matchedActions.joined(separator: ", "))")
        if conditions.isEmpty { lines.append("  conditions: (none)") }
        for condition in conditions { lines.append("  condition \(condition)") }
        return lines.joined(separator: "\n")
    }
}
