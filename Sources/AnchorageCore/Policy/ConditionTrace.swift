/// How one condition was evaluated: the record `explain` and the audit log show.
public struct ConditionTrace: Equatable, Sendable, CustomStringConvertible {
    /// The operator as written, e.g. `ForAnyValue:StringLike`.
    public var `operator`: String
    /// The condition key as written in the policy.
    public var key: String
    /// The policy's values for the key, any of which may match.
    public var policyValues: [String]
    /// The request's values for the key, or nil when the key was missing.
    public var contextValues: [String]?
    /// Whether the condition held.
    public var result: Bool

    /// Builds a trace entry (the evaluator is the usual author).
    public init(operator: String, key: String, policyValues: [String], contextValues: [String]?, result: Bool) {
        self.operator = `operator`
        self.key = key
        self.policyValues = policyValues
        self.contextValues = contextValues
        self.result = result
    }

    /// `StringEquals aws:PrincipalTag/x509Subject/OU ["web"] vs ["ops"] -> false`.
    public var description: String {
        let context = contextValues.map(Self.list) ?? "(missing)"
        return "\(`operator`) \(key) \(Self.list(policyValues)) vs \(context) -> \(result)"
    }

    private static func list(_ values: [String]) -> String {
        "[" + values.map(JSONWriter.quoted).joined(separator: ", ") + "]"
    }
}
