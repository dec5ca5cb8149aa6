import AnchorageCommandLine
import AnchorageCore

/// One `--condition OPERATOR:KEY=VALUE` of `anchorage role create`.
///
/// How the text is split (condition keys contain ':' and '/', values may contain anything):
/// 1. The operator is everything before the first ':' — or before the second ':' when the text starts
///    with a set qualifier, `ForAnyValue:` or `ForAllValues:`. It must be a known IAM operator
///    (`StringEquals`, `StringLike`, `ArnEquals`, `ForAnyValue:StringLike`, `…IfExists`, `Null`, …).
/// 2. The key is what follows, up to the first '='. Condition keys never contain '='.
/// 3. The value is everything after that first '=' (it may contain ':', '/', ',' and '=').
///
/// `StringEquals:aws:PrincipalTag/x509Subject/OU=web` → operator `StringEquals`, key
/// `aws:PrincipalTag/x509Subject/OU`, value `web`. Repeating an operator and key adds a value (any of
/// them matches); different keys or operators must all match, as in IAM.
struct ConditionArgument: Equatable {
    var operatorName: String
    var key: String
    var value: String

    init(_ text: String) throws(CommandArguments.UsageError) {
        var rest = Substring(text)
        var qualifier = ""
        for prefix in ["ForAnyValue:", "ForAllValues:"] where rest.hasPrefix(prefix) {
            qualifier = prefix
            rest = rest.dropFirst(prefix.count)
        }
        guard let colon = rest.firstIndex(of: ":") else {
            throw CommandArguments.UsageError(
                "--condition \(text): expected OPERATOR:KEY=VALUE, e.g. StringEquals:aws:PrincipalTag/x509Subject/OU=web"
            )
        }
        operatorName = qualifier + rest[..<colon]
        guard ConditionOperator(name: operatorName) != nil else {
            throw CommandArguments.UsageError(
                "--condition \(text): unknown condition operator \(operatorName) (e.g. StringEquals, StringLike, ArnEquals)"
            )
        }
        rest = rest[rest.index(after: colon)...]
        guard let equals = rest.firstIndex(of: "=") else {
            throw CommandArguments.UsageError("--condition \(text): missing =VALUE after the key")
        }
        key = String(rest[..<equals])
        value = String(rest[rest.index(after: equals)...])
        guard !key.isEmpty else { throw CommandArguments.UsageError("--condition \(text): empty condition key") }
    }

    /// The `Condition` block for `conditions`: operators in first-use order, keys in first-use order
    /// within each, one string for a single value and an array for several.
    static func conditionBlock(_ conditions: [ConditionArgument]) -> JSONValue {
        var operators: [(name: String, keys: [(key: String, values: [String])])] = []
        for condition in conditions {
            let operatorIndex =
                operators.firstIndex { $0.name == condition.operatorName }
                ?? {
                    operators.append((condition.operatorName, []))
                    return operators.count - 1
                }()
            if let keyIndex = operators[operatorIndex].keys.firstIndex(where: { $0.key == condition.key }) {
                if !operators[operatorIndex].keys[keyIndex].values.contains(condition.value) {
                    operators[operatorIndex].keys[keyIndex].values.append(condition.value)
                }
            } else {
                operators[operatorIndex].keys.append((condition.key, [condition.value]))
            }
        }
        return .object(
            operators.map { entry in
                JSONMember(
                    key: entry.name,
                    value: .object(
                        entry.keys.map {
                            JSONMember(
                                key: $0.key,
                                value: $0.values.count == 1
                                    ? .string($0.values[0]) : .array($0.values.map(JSONValue.string)))
                        }))
            })
    }
}
