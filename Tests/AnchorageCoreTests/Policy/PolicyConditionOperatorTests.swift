import AnchorageCore
import Testing

@Suite struct PolicyConditionOperatorTests {
    static let strings: [ConditionRow] = [
        .init("StringEquals", ["web"], ["web"], true),
        .init("StringEquals", ["web"], ["Web"], false),
        .init("StringEquals", ["ops", "web"], ["web"], true),  // OR over policy values
        .init("StringEquals", ["web"], nil, false),  // missing key
        .init("StringEquals", ["web"], ["ops", "web"], true),  // multi-valued without qualifier: any
        .init("StringNotEquals", ["web"], ["ops"], true),
        .init("StringNotEquals", ["web"], ["web"], false),
        .init("StringNotEquals", ["ops", "web"], ["web"], false),  // must match none
        .init("StringNotEquals", ["ops", "web"], ["dev"], true),
        .init("StringNotEquals", ["web"], nil, true),  // negated + missing
        .init("StringEqualsIgnoreCase", ["WEB"], ["web"], true),
        .init("StringEqualsIgnoreCase", ["WEB"], ["webs"], false),
        .init("StringEqualsIgnoreCase", ["WEB"], nil, false),
        .init("StringNotEqualsIgnoreCase", ["WEB"], ["web"], false),
        .init("StringNotEqualsIgnoreCase", ["WEB"], ["ops"], true),
        .init("StringNotEqualsIgnoreCase", ["WEB"], nil, true),
        .init("StringLike", ["spiffe://example.com/ns/*/sa/*"], ["spiffe://example.com/ns/prod/sa/api"], true),
        .init("StringLike", ["spiffe://example.com/ns/*/sa/*"], ["spiffe://example.com/ns/prod/pod/api"], false),
        .init("StringLike", ["a*"], ["a"], true),  // * matches empty
        .init("StringLike", ["a?c"], ["abc"], true),
        .init("StringLike", ["a?c"], ["ac"], false),  // ? is exactly one
        .init("StringLike", ["a?c"], ["abbc"], false),
        .init("StringLike", ["web"], ["web-1"], false),  // whole value
        .init("StringLike", ["Web*"], ["web-1"], false),  // case-sensitive
        .init("StringLike", ["a\\*"], ["a*"], false),  // no escaping: \ is literal, * a wildcard
        .init("StringLike", ["a\\*"], ["a\\xyz"], true),
        .init("StringLike", ["a*"], ["a*"], true),  // literal * in value matched by the wildcard
        .init("StringLike", ["*a*a*a*a*a*b"], [String(repeating: "a", count: 200)], false),
        .init("StringLike", ["web"], nil, false),
        .init("StringNotLike", ["web-*"], ["web-1"], false),
        .init("StringNotLike", ["web-*"], ["ops-1"], true),
        .init("StringNotLike", ["web-*", "ops-*"], ["ops-1"], false),
        .init("StringNotLike", ["web-*"], nil, true),
    ]

    static let numbers: [ConditionRow] = [
        .init("NumericEquals", ["10"], ["10"], true),
        .init("NumericEquals", ["10"], ["10.0"], true),
        .init("NumericEquals", ["10"], ["1e1"], true),
        .init("NumericEquals", ["10"], ["11"], false),
        .init("NumericEquals", ["10"], ["abc"], false),  // unparseable context
        .init("NumericEquals", ["abc"], ["10"], false),  // unparseable policy
        .init("NumericEquals", ["inf"], ["inf"], false),
        .init("NumericEquals", ["10"], nil, false),
        .init("NumericNotEquals", ["10"], ["11"], true),
        .init("NumericNotEquals", ["10"], ["10"], false),
        .init("NumericNotEquals", ["10"], ["abc"], true),  // non-match, negated
        .init("NumericNotEquals", ["10"], nil, true),
        .init("NumericLessThan", ["10"], ["9.5"], true),
        .init("NumericLessThan", ["10"], ["10"], false),
        .init("NumericLessThan", ["10"], ["-3"], true),
        .init("NumericLessThanEquals", ["10"], ["10"], true),
        .init("NumericLessThanEquals", ["10"], ["11"], false),
        .init("NumericGreaterThan", ["10"], ["11"], true),
        .init("NumericGreaterThan", ["10"], ["10"], false),
        .init("NumericGreaterThan", ["10"], ["x11"], false),
        .init("NumericGreaterThanEquals", ["10"], ["10"], true),
        .init("NumericGreaterThanEquals", ["10"], ["9"], false),
        .init("NumericGreaterThanEquals", ["10"], nil, false),
    ]

    static let dates: [ConditionRow] = [
        .init("DateEquals", ["2026-01-02T03:04:05Z"], ["2026-01-02T03:04:05Z"], true),
        .init("DateEquals", ["2026-01-02T03:04:05Z"], ["2026-01-02T05:04:05+02:00"], true),  // offset
        .init("DateEquals", ["2026-01-02T03:04:05Z"], ["2026-01-01T22:04:05-0500"], true),
        .init("DateEquals", ["2026-01-02T03:04:05Z"], ["1767323045"], true),  // epoch seconds
        .init("DateEquals", ["2026-01-02"], ["2026-01-02T00:00:00Z"], true),  // date only = midnight UTC
        .init("DateEquals", ["2026-01-02T03:04:05Z"], ["2026-01-02T03:04:05.000Z"], true),
        .init("DateEquals", ["2026-01-02T03:04:05Z"], ["2026-01-02T03:04:06Z"], false),
        .init("DateEquals", ["2026-01-02T03:04:05Z"], ["2026-01-02T03:04:05"], false),  // no zone
        .init("DateEquals", ["2026-02-30"], ["2026-02-30"], false),  // invalid calendar date
        .init("DateEquals", ["yesterday"], ["yesterday"], false),
        .init("DateNotEquals", ["2026-01-02T03:04:05Z"], ["2026-01-02T03:04:06Z"], true),
        .init("DateNotEquals", ["2026-01-02T03:04:05Z"], ["1767323045"], false),
        .init("DateNotEquals", ["2026-01-02T03:04:05Z"], nil, true),
        .init("DateLessThan", ["2026-01-02T00:00:00Z"], ["2026-01-01T23:59:59.5Z"], true),
        .init("DateLessThan", ["2026-01-02T00:00:00Z"], ["2026-01-02T00:00:00Z"], false),
        .init("DateLessThanEquals", ["2026-01-02"], ["2026-01-02T00:00:00Z"], true),
        .init("DateLessThanEquals", ["2026-01-02"], ["2026-01-02T00:00:01Z"], false),
        .init("DateGreaterThan", ["2024-02-29T12:00:00Z"], ["2024-03-01"], true),  // leap day
        .init("DateGreaterThan", ["2026-01-02T00:00:00Z"], ["1700000000"], false),
        .init("DateGreaterThanEquals", ["1767312000"], ["2026-01-02"], true),
        .init("DateGreaterThanEquals", ["1767312000"], ["2026-01-01T23:59:59Z"], false),
        .init("DateGreaterThanEquals", ["1767312000"], nil, false),
    ]

    static let others: [ConditionRow] = [
        .init("Bool", ["true"], ["true"], true),
        .init("Bool", ["true"], ["TRUE"], true),
        .init("Bool", ["true"], ["false"], false),
        .init("Bool", ["false"], ["false"], true),
        .init("Bool", ["true"], ["yes"], false),
        .init("Bool", ["true"], nil, false),
        .init("BinaryEquals", ["QmluYXJ5VmFsdWU="], ["QmluYXJ5VmFsdWU="], true),
        .init("BinaryEquals", ["QmluYXJ5VmFsdWU="], ["QmluYXJ5VmFsdWF="], false),
        .init("BinaryEquals", ["QmluYXJ5VmFsdWU="], ["not base64!"], false),
        .init("IpAddress", ["203.0.113.0/24"], ["203.0.113.7"], true),
        .init("IpAddress", ["203.0.113.0/24"], ["203.0.114.7"], false),
        .init("IpAddress", ["203.0.113.7"], ["203.0.113.7"], true),  // plain address = /32
        .init("IpAddress", ["203.0.113.7"], ["203.0.113.8"], false),
        .init("IpAddress", ["10.0.0.0/9"], ["10.127.255.255"], true),
        .init("IpAddress", ["10.0.0.0/9"], ["10.128.0.0"], false),
        .init("IpAddress", ["0.0.0.0/0"], ["192.0.2.1"], true),
        .init("IpAddress", ["2001:db8::/32"], ["2001:db8:1::5"], true),
        .init("IpAddress", ["2001:db8::/32"], ["2001:db9::5"], false),
        .init("IpAddress", ["2001:DB8::1"], ["2001:db8:0:0:0:0:0:1"], true),  // plain = /128
        .init("IpAddress", ["::ffff:192.0.2.0/120"], ["::ffff:192.0.2.77"], true),
        .init("IpAddress", ["2001:db8::/32"], ["192.0.2.1"], false),  // family mismatch
        .init("IpAddress", ["203.0.113.0/33"], ["203.0.113.7"], false),  // bad prefix
        .init("IpAddress", ["203.0.113/24"], ["203.0.113.7"], false),  // bad address
        .init("IpAddress", ["203.0.113.0/24"], ["not-an-ip"], false),
        .init("IpAddress", ["1::2::3/64"], ["1::3"], false),
        .init("IpAddress", ["203.0.113.0/24"], nil, false),
        .init("NotIpAddress", ["203.0.113.0/24"], ["203.0.113.7"], false),
        .init("NotIpAddress", ["203.0.113.0/24", "2001:db8::/32"], ["198.51.100.1"], true),
        .init("NotIpAddress", ["203.0.113.0/24", "2001:db8::/32"], ["2001:db8::1"], false),
        .init("NotIpAddress", ["203.0.113.0/24"], nil, true),
        .init("Null", ["true"], nil, true),
        .init("Null", ["true"], ["x"], false),
        .init("Null", ["false"], ["x"], true),
        .init("Null", ["false"], nil, false),
        .init("Null", ["false"], [], false),  // empty list counts as missing
        .init("Null", ["maybe"], nil, false),
    ]

    static let anchor = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/4a1c52e0"
    static let arns: [ConditionRow] = [
        .init("ArnEquals", [anchor], [anchor], true),
        .init("ArnEquals", [anchor], [anchor + "x"], false),
        // ArnEquals globs too.
        .init("ArnEquals", ["arn:aws:rolesanywhere:*:123456789012:trust-anchor/*"], [anchor], true),
        .init("ArnLike", ["arn:aws:rolesanywhere:us-east-?:123456789012:*"], [anchor], true),
        .init("ArnLike", ["arn:aws:rolesanywhere:*:trust-anchor/*"], [anchor], false),  // * cannot cross parts
        .init("ArnLike", ["arn:aws:*:*:123456789012:*"], [anchor], true),
        .init(
            "ArnLike", ["arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/*"],
            ["arn:aws:rolesanywhere:us-east-1:123456789012:profile/1"], false),
        // Case-sensitive.
        .init("ArnLike", ["arn:aws:rolesanywhere:us-east-1:123456789012:Trust-anchor/*"], [anchor], false),
        .init("ArnLike", ["*"], [anchor], false),  // not an ARN pattern: six parts needed
        .init("ArnLike", [anchor], ["not:an:arn"], false),
        .init("ArnLike", [anchor], nil, false),
        .init("ArnNotEquals", [anchor], [anchor], false),
        .init("ArnNotEquals", [anchor], ["arn:aws:rolesanywhere:us-east-1:999999999999:trust-anchor/4a1c52e0"], true),
        .init("ArnNotEquals", [anchor], nil, true),
        .init("ArnNotLike", ["arn:aws:rolesanywhere:*:123456789012:*"], [anchor], false),
        .init("ArnNotLike", ["arn:aws:rolesanywhere:*:999999999999:*"], [anchor], true),
        .init("ArnNotLike", [anchor], nil, true),
    ]

    static let qualifiers: [ConditionRow] = [
        .init("StringEqualsIfExists", ["web"], nil, true),
        .init("StringEqualsIfExists", ["web"], ["web"], true),
        .init("StringEqualsIfExists", ["web"], ["ops"], false),
        .init("StringNotEqualsIfExists", ["web"], ["web"], false),
        .init("ArnLikeIfExists", [anchor], nil, true),
        .init("NumericLessThanIfExists", ["5"], ["7"], false),
        .init("IpAddressIfExists", ["10.0.0.0/8"], nil, true),
        .init("BoolIfExists", ["true"], nil, true),
        .init("ForAnyValue:StringEquals", ["a", "b"], ["x", "b"], true),
        .init("ForAnyValue:StringEquals", ["a", "b"], ["x", "y"], false),
        .init("ForAnyValue:StringEquals", ["a"], nil, false),  // missing
        .init("ForAnyValue:StringEquals", ["a"], [], false),  // empty
        .init("ForAnyValue:StringEqualsIfExists", ["a"], nil, true),
        .init("ForAnyValue:StringNotEquals", ["a"], ["a", "b"], true),  // b is not a
        .init("ForAnyValue:StringNotEquals", ["a"], ["a"], false),
        .init("ForAnyValue:StringNotEquals", ["a"], nil, false),
        .init("ForAllValues:StringEquals", ["a", "b"], ["a", "b"], true),
        .init("ForAllValues:StringEquals", ["a", "b"], ["a", "c"], false),
        .init("ForAllValues:StringEquals", ["a", "b"], ["b"], true),
        .init("ForAllValues:StringEquals", ["a"], nil, true),  // missing → true
        .init("ForAllValues:StringEquals", ["a"], [], true),  // empty → true
        .init("ForAllValues:StringLike", ["x509*"], ["x509Subject/CN", "x509Issuer/O"], true),
        .init("ForAllValues:StringLike", ["x509*"], ["x509Subject/CN", "team"], false),
        .init("ForAllValues:StringNotEquals", ["secret"], ["a", "b"], true),
        .init("ForAllValues:StringNotEquals", ["secret"], ["a", "secret"], false),
        .init("ForAllValues:NumericLessThan", ["10"], ["1", "abc"], false),
        .init("StringNotEquals", ["a"], ["a", "b"], true),  // no qualifier on multi-valued = ForAnyValue
    ]

    @Test(arguments: strings) func stringOperators(_ row: ConditionRow) { #expect(row.evaluate() == row.expected) }
    @Test(arguments: numbers) func numericOperators(_ row: ConditionRow) { #expect(row.evaluate() == row.expected) }
    @Test(arguments: dates) func dateOperators(_ row: ConditionRow) { #expect(row.evaluate() == row.expected) }
    @Test(arguments: others) func boolBinaryIpNull(_ row: ConditionRow) { #expect(row.evaluate() == row.expected) }
    @Test(arguments: arns) func arnOperators(_ row: ConditionRow) { #expect(row.evaluate() == row.expected) }
    @Test(arguments: qualifiers) func ifExistsAndSetQualifiers(_ row: ConditionRow) {
        #expect(row.evaluate() == row.expected)
    }

    @Test(arguments: [
        ("aws:SourceArn", "aws:sourcearn"), ("aws:PrincipalTag/x509Subject/OU", "AWS:PRINCIPALTAG/X509SUBJECT/ou"),
        ("sts:sourceidentity", "sts:SourceIdentity"),
    ])
    func conditionKeysAreCaseInsensitive(_ policyKey: String, _ contextKey: String) {
        var row = ConditionRow("StringEquals", ["v"], ["v"], true)
        row.key = policyKey
        row.contextKey = contextKey
        #expect(row.evaluate() == true)
    }

    @Test(arguments: [
        ("StringEquals", ConditionOperator(base: .stringEquals)),
        ("ForAnyValue:StringLike", ConditionOperator(base: .stringLike, qualifier: .forAnyValue)),
        (
            "ForAllValues:ArnNotLikeIfExists",
            ConditionOperator(base: .arnNotLike, qualifier: .forAllValues, ifExists: true)
        ),
        ("Null", ConditionOperator(base: .null)),
    ])
    func parsesOperatorNames(_ name: String, _ expected: ConditionOperator) {
        #expect(ConditionOperator(name: name) == expected)
        #expect(ConditionOperator(name: name)?.description == name)
    }

    @Test(arguments: [
        "NullIfExists", "stringequals", "StringEqual", "ForSomeValues:StringEquals", "IfExists", "",
        "ForAnyValue:ForAllValues:StringEquals", "StringEqualsIfExistsIfExists", "ForAllValues:",
    ])
    func rejectsUnknownOperatorNames(_ name: String) { #expect(ConditionOperator(name: name) == nil) }
}
