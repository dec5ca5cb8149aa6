/// One operator/key test of a statement's `Condition` block, e.g.
/// `"StringEquals": {"aws:PrincipalTag/x509Subject/OU": ["web", "ops"]}` for one key.
public struct PolicyCondition: Equatable, Sendable {
    /// How the values are compared.
    public var `operator`: ConditionOperator
    /// The condition key as written (lookup is case-insensitive).
    public var key: String
    /// Policy values as text: numbers keep their JSON spelling, booleans are `"true"`/`"false"`.
    /// Any one of them may match (OR).
    public var values: [String]

    /// Builds a condition; `values` should not be empty (the parser refuses empty lists).
    public init(operator: ConditionOperator, key: String, values: [String]) {
        self.operator = `operator`
        self.key = key
        self.values = values
    }
}
