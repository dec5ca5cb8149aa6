/// A condition operator as written in a policy, e.g. `ForAllValues:StringLikeIfExists`.
///
/// Parsed once at load time so evaluation never meets an unknown name.
public struct ConditionOperator: Hashable, Sendable, CustomStringConvertible {
    /// The comparison family and its polarity.
    public enum Base: String, CaseIterable, Sendable {
        case stringEquals = "StringEquals"
        case stringNotEquals = "StringNotEquals"
        case stringEqualsIgnoreCase = "StringEqualsIgnoreCase"
        case stringNotEqualsIgnoreCase = "StringNotEqualsIgnoreCase"
        case stringLike = "StringLike"
        case stringNotLike = "StringNotLike"
        case numericEquals = "NumericEquals"
        case numericNotEquals = "NumericNotEquals"
        case numericLessThan = "NumericLessThan"
        case numericLessThanEquals = "NumericLessThanEquals"
        case numericGreaterThan = "NumericGreaterThan"
        case numericGreaterThanEquals = "NumericGreaterThanEquals"
        case dateEquals = "DateEquals"
        case dateNotEquals = "DateNotEquals"
        case dateLessThan = "DateLessThan"
        case dateLessThanEquals = "DateLessThanEquals"
        case dateGreaterThan = "DateGreaterThan"
        case dateGreaterThanEquals = "DateGreaterThanEquals"
        case bool = "Bool"
        case binaryEquals = "BinaryEquals"
        case ipAddress = "IpAddress"
        case notIpAddress = "NotIpAddress"
        case arnEquals = "ArnEquals"
        case arnLike = "ArnLike"
        case arnNotEquals = "ArnNotEquals"
        case arnNotLike = "ArnNotLike"
        case null = "Null"

        /// Negated operators are true when the context value matches none of the policy values,
        /// and true when a single-valued key is missing.
        public var isNegated: Bool {
            switch self {
            case .stringNotEquals, .stringNotEqualsIgnoreCase, .stringNotLike, .numericNotEquals, .dateNotEquals,
                .notIpAddress, .arnNotEquals, .arnNotLike:
                return true
            default:
                return false
            }
        }
    }

    /// The multi-valued-key set qualifier (`ForAnyValue:` / `ForAllValues:`).
    public enum Qualifier: String, Sendable {
        case forAnyValue = "ForAnyValue"
        case forAllValues = "ForAllValues"
    }

    /// The comparison performed on each value.
    public var base: Base
    /// The set qualifier, or nil for a plain (single-valued) operator.
    public var qualifier: Qualifier?
    /// `…IfExists`: a missing key makes the condition true.
    public var ifExists: Bool

    /// Builds an operator from its parts (no validation: `Null` with `ifExists` is representable here).
    public init(base: Base, qualifier: Qualifier? = nil, ifExists: Bool = false) {
        self.base = base
        self.qualifier = qualifier
        self.ifExists = ifExists
    }

    /// Parses an operator name; nil when the name is not a known operator (names are case-sensitive,
    /// as IAM's are) or is `NullIfExists`, which IAM rejects because `Null` already tests absence.
    public init?(name: String) {
        var rest = Substring(name)
        var qualifier: Qualifier?
        // At most one qualifier: `ForAnyValue:ForAllValues:…` is not an operator.
        if let q = [Qualifier.forAnyValue, .forAllValues].first(where: { rest.hasPrefix($0.rawValue + ":") }) {
            qualifier = q
            rest = rest.dropFirst(q.rawValue.count + 1)
        }
        var ifExists = false
        if rest.hasSuffix("IfExists") {
            ifExists = true
            rest = rest.dropLast("IfExists".count)
        }
        guard let base = Base(rawValue: String(rest)) else { return nil }
        if base == .null && ifExists { return nil }
        self.init(base: base, qualifier: qualifier, ifExists: ifExists)
    }

    /// The name as it would be written in a policy.
    public var description: String {
        (qualifier.map { $0.rawValue + ":" } ?? "") + base.rawValue + (ifExists ? "IfExists" : "")
    }
}
