import AnchorageCore

/// One line of a condition decision table: operator, policy values, the context's values for
/// key `k` (nil = missing), and the expected result.
struct ConditionRow: Sendable, CustomStringConvertible {
    var op: String
    var policy: [String]
    var context: [String]?
    var expected: Bool
    var key = "k"
    var contextKey = "k"

    init(_ op: String, _ policy: [String], _ context: [String]?, _ expected: Bool) {
        self.op = op
        self.policy = policy
        self.context = context
        self.expected = expected
    }

    var description: String {
        "\(op) \(policy) vs \(context.map { "\($0)" } ?? "missing") -> \(expected)"
    }

    /// Evaluates the row through the public evaluator and returns the condition's trace result.
    func evaluate() -> Bool? {
        guard let parsed = ConditionOperator(name: op) else { return nil }
        let statement = PolicyStatement(
            effect: .allow, principal: .any, actions: ["sts:AssumeRole"],
            conditions: [PolicyCondition(operator: parsed, key: key, values: policy)])
        let decision = PolicyEvaluator.evaluate(
            PolicyDocument(statements: [statement]), principalService: "rolesanywhere.amazonaws.com",
            actions: ["sts:AssumeRole"], context: RequestContext(context.map { [contextKey: $0] } ?? [:]))
        // The decision must agree with the single condition.
        guard decision.allowed == decision.trace[0].conditions[0].result else { return nil }
        return decision.trace[0].conditions[0].result
    }
}
