import AnchorageCore
import Testing

/// Every string operator compares code points: a value that only *looks* like the policy's (canonically
/// equivalent, or equal after full Unicode case mapping) is another value. Each row pairs the attack with
/// its honest neighbour.
@Suite struct PolicyLookAlikeTests {
    static let kelvin = "\u{212A}8s-admin"  // KELVIN SIGN, canonically equivalent to "K"
    static let admin = "K8s-admin"
    static let angstromSign = "\u{212B}"  // ANGSTROM SIGN
    static let aRing = "\u{C5}"  // LATIN CAPITAL LETTER A WITH RING ABOVE
    static let aRingDecomposed = "A\u{30A}"
    static let jamo = "\u{1100}\u{1161}"  // conjoining jamo of 가
    static let syllable = "\u{AC00}"

    static let rows: [ConditionRow] = [
        // StringEquals: the honest value matches, the look-alikes do not.
        .init("StringEquals", [admin], [admin], true),
        .init("StringEquals", [admin], [kelvin], false),
        .init("StringEquals", [aRing], [angstromSign], false),
        .init("StringEquals", [aRing], [aRingDecomposed], false),
        .init("StringEquals", [syllable], [jamo], false),
        .init("StringEquals", [jamo], [jamo], true),
        // StringNotEquals is the exact negation.
        .init("StringNotEquals", [admin], [kelvin], true),
        .init("StringNotEquals", [admin], [admin], false),
        .init("StringNotEquals", [aRing], [angstromSign], true),
        // IgnoreCase folds ASCII letters only: K/k fold, the Kelvin sign (which Unicode lowercases to "k")
        // and non-ASCII letters do not.
        .init("StringEqualsIgnoreCase", ["k8s-ADMIN"], [admin], true),
        .init("StringEqualsIgnoreCase", ["k8s-admin"], [kelvin], false),
        .init("StringEqualsIgnoreCase", [admin], [kelvin], false),
        .init("StringEqualsIgnoreCase", ["\u{E5}"], [aRing], false),
        .init("StringEqualsIgnoreCase", [aRing], [angstromSign], false),
        .init("StringNotEqualsIgnoreCase", ["k8s-admin"], [kelvin], true),
        .init("StringNotEqualsIgnoreCase", ["k8s-admin"], ["K8S-Admin"], false),
        // StringLike: a literal never matches a look-alike; `?` is one code point.
        .init("StringLike", ["K8s-*"], [admin], true),
        .init("StringLike", ["K8s-*"], [kelvin], false),
        .init("StringNotLike", ["K8s-*"], [kelvin], true),
        .init("StringNotLike", ["K8s-*"], [admin], false),
        .init("StringLike", ["?8s-admin"], [kelvin], true),
        .init("StringLike", ["?"], [aRingDecomposed], false),
        .init("StringLike", ["??"], [aRingDecomposed], true),
        .init("StringLike", ["*\u{C5}*"], ["x\(aRingDecomposed)y"], false),
        .init("StringLike", ["*\u{C5}*"], ["x\(aRing)y"], true),
        .init("StringLike", ["?"], [syllable], true),
        .init("StringLike", ["?"], [jamo], false),
        // ARN parts are globbed the same way.
        .init("ArnLike", ["arn:aws:iam::1:role/K*"], ["arn:aws:iam::1:role/\u{212A}x"], false),
        .init("ArnLike", ["arn:aws:iam::1:role/K*"], ["arn:aws:iam::1:role/Kx"], true),
        .init("ArnEquals", ["arn:aws:iam::1:role/\(aRing)"], ["arn:aws:iam::1:role/\(angstromSign)"], false),
        // Bool is ASCII case-insensitive and nothing else.
        .init("Bool", ["true"], ["TRUE"], true),
        .init("Bool", ["true"], ["tru\u{0065}\u{301}"], false),
    ]

    @Test(arguments: rows) func stringOperatorsCompareCodePoints(_ row: ConditionRow) {
        #expect(row.evaluate() == row.expected)
    }

    /// Condition key names fold ASCII case only: a Kelvin sign in the policy's key is another key.
    @Test func conditionKeysCompareCodePoints() {
        var honest = ConditionRow("StringEquals", ["web"], ["web"], true)
        honest.key = "aws:PrincipalTag/x509Subject/OU"
        honest.contextKey = "aws:principaltag/X509SUBJECT/ou"
        #expect(honest.evaluate() == true)

        var lookAlike = ConditionRow("StringEquals", ["web"], ["web"], false)
        lookAlike.key = "aws:PrincipalTag/x509Subject/\u{212A}"
        lookAlike.contextKey = "aws:PrincipalTag/x509Subject/K"
        #expect(lookAlike.evaluate() == false)
        var lookAlikeNegated = ConditionRow("StringNotEquals", ["web"], ["web"], true)
        lookAlikeNegated.key = "aws:PrincipalTag/x509Subject/\u{212A}"
        lookAlikeNegated.contextKey = "aws:PrincipalTag/x509Subject/K"
        // The key is missing for the policy, so the negated operator holds: it was never the K tag.
        #expect(lookAlikeNegated.evaluate() == true)
    }
}
