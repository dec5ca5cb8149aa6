import AnchorageCrypto

/// Evaluates one ``PolicyCondition`` against a ``RequestContext`` with IAM semantics.
///
/// Rules, in order:
/// - `Null`: policy value `"true"` holds when the key is missing, `"false"` when present
///   (a `ForAnyValue:`/`ForAllValues:` qualifier does not change that).
/// - Missing key (absent or no values): `…IfExists` → true; `ForAllValues:` → true;
///   `ForAnyValue:` → false; otherwise negated operators → true, all others → false.
/// - Present key: each context value "matches" when, for a positive operator, it matches at least
///   one policy value, and for a negated operator, it matches none of them. `ForAllValues:`
///   requires every context value to match; no qualifier or `ForAnyValue:` requires at least one.
/// - A value that cannot be read as the operator's type (a non-number for `Numeric…`, a bad date,
///   address or ARN, invalid base64) never matches the positive comparison; a negated operator
///   therefore counts it as "matches none".
/// - Strings compare by code point (``CodePoints``): no Unicode normalisation, and the `…IgnoreCase`
///   operators fold ASCII letters only.
/// - Policy values are literal: policy variables such as `${aws:PrincipalTag/x}` are not
///   substituted (trust policies for Roles Anywhere do not need them), so they only match the
///   same literal text.
enum ConditionMatcher {
    /// Whether `condition` holds for `contextValues` (the context's values of its key, nil when missing).
    static func holds(_ condition: PolicyCondition, contextValues: [String]?) -> Bool {
        let op = condition.operator
        if op.base == .null {
            let present = contextValues != nil
            return condition.values.contains { ($0 == "true" && !present) || ($0 == "false" && present) }
        }
        guard let contextValues else {
            if op.ifExists { return true }
            switch op.qualifier {
            case .forAllValues: return true
            case .forAnyValue: return false
            case nil: return op.base.isNegated
            }
        }
        let valueMatches = { (value: String) -> Bool in
            let any = condition.values.contains { positive(op.base, context: value, policy: $0) }
            return op.base.isNegated ? !any : any
        }
        switch op.qualifier {
        case .forAllValues: return contextValues.allSatisfy(valueMatches)
        case .forAnyValue, nil: return contextValues.contains(where: valueMatches)
        }
    }

    /// The positive comparison behind `base` (a negated operator uses its positive counterpart).
    static func positive(_ base: ConditionOperator.Base, context: String, policy: String) -> Bool {
        switch base {
        case .stringEquals, .stringNotEquals:
            return CodePoints.equal(context, policy)
        case .stringEqualsIgnoreCase, .stringNotEqualsIgnoreCase:
            return CodePoints.equalIgnoringASCIICase(context, policy)
        case .stringLike, .stringNotLike:
            return Glob.matches(policy, context)
        case .numericEquals, .numericNotEquals, .numericLessThan, .numericLessThanEquals, .numericGreaterThan,
            .numericGreaterThanEquals:
            guard let c = ConditionNumber.value(context), let p = ConditionNumber.value(policy) else { return false }
            return compare(base, c, p)
        case .dateEquals, .dateNotEquals, .dateLessThan, .dateLessThanEquals, .dateGreaterThan,
            .dateGreaterThanEquals:
            guard let c = ConditionDate.epochSeconds(context), let p = ConditionDate.epochSeconds(policy) else {
                return false
            }
            return compare(base, c, p)
        case .bool:
            return
                (CodePoints.equalIgnoringASCIICase(context, "true")
                || CodePoints.equalIgnoringASCIICase(context, "false"))
                && CodePoints.equalIgnoringASCIICase(context, policy)
        case .binaryEquals:
            guard let c = Base64.decode(context), let p = Base64.decode(policy) else { return false }
            return c == p
        case .ipAddress, .notIpAddress:
            guard let range = IPAddressRange(policy), let address = IPAddressRange.parseAddress(context) else {
                return false
            }
            return range.contains(address)
        case .arnEquals, .arnLike, .arnNotEquals, .arnNotLike:
            return arnMatches(pattern: policy, value: context)
        case .null:
            return false  // handled before any value comparison
        }
    }

    private static func compare(_ base: ConditionOperator.Base, _ c: Double, _ p: Double) -> Bool {
        switch base {
        case .numericLessThan, .dateLessThan: return c < p
        case .numericLessThanEquals, .dateLessThanEquals: return c <= p
        case .numericGreaterThan, .dateGreaterThan: return c > p
        case .numericGreaterThanEquals, .dateGreaterThanEquals: return c >= p
        default: return c == p  // the Equals / NotEquals pair
        }
    }

    /// IAM treats ArnEquals and ArnLike alike: each of the six colon-separated parts (the sixth keeps any
    /// further colons) is glob-matched on its own, so `*` in the region part cannot swallow a colon. An
    /// ARN with fewer than six parts matches nothing.
    static func arnMatches(pattern: String, value: String) -> Bool {
        var pattern = pattern
        var value = value
        return pattern.withUTF8 { p in
            value.withUTF8 { v in
                guard let pp = colonParts(p), let vp = colonParts(v) else { return false }
                for i in 0..<6
                where !Glob.matches(
                    UnsafeBufferPointer(rebasing: p[pp[i]]), UnsafeBufferPointer(rebasing: v[vp[i]]),
                    ignoringCase: false)
                {
                    return false
                }
                return true
            }
        }
    }

    /// The six ranges of `split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)`, or
    /// nil when there are fewer than six parts.
    private static func colonParts(_ bytes: UnsafeBufferPointer<UInt8>) -> [Range<Int>]? {
        var parts: [Range<Int>] = []
        parts.reserveCapacity(6)
        var start = 0
        var index = 0
        while index < bytes.count, parts.count < 5 {
            if bytes[index] == UInt8(ascii: ":") {
                parts.append(start..<index)
                start = index + 1
            }
            index += 1
        }
        guard parts.count == 5 else { return nil }
        parts.append(start..<bytes.count)
        return parts
    }
}
