import AnchorageCore
import Testing

@Suite struct PolicyRequestContextTests {
    static let context = RequestContext.createSession(
        sourceArn: "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/ta", sourceAccount: "123456789012",
        principalTags: [("x509Subject/CN", "Alice"), ("x509Issuer/CN", "RolesAnywhere")], sourceIdentity: "CN=Alice",
        roleSessionName: nil, epochSeconds: 1_767_323_045, sourceIp: "203.0.113.9")

    @Test func providesTheCreateSessionKeys() {
        let c = Self.context
        #expect(c.values(for: "aws:sourceaccount") == ["123456789012"])
        #expect(c.values(for: "aws:PrincipalTag/X509SUBJECT/cn") == ["Alice"])
        #expect(c.values(for: "aws:RequestTag/x509Issuer/CN") == ["RolesAnywhere"])
        #expect(c.values(for: "aws:TagKeys") == ["x509Subject/CN", "x509Issuer/CN"])
        #expect(c.values(for: "sts:SourceIdentity") == ["CN=Alice"])
        #expect(c.values(for: "aws:CurrentTime") == ["2026-01-02T03:04:05Z"])
        #expect(c.values(for: "aws:EpochTime") == ["1767323045"])
        #expect(c.values(for: "aws:SourceIp") == ["203.0.113.9"])
        #expect(c.values(for: "sts:RoleSessionName") == nil)
    }

    @Test(arguments: [
        ("DateLessThan", "aws:CurrentTime", "2026-01-02T03:04:06Z", true),
        ("DateGreaterThan", "aws:CurrentTime", "2026-01-02", true),
        ("DateEquals", "aws:EpochTime", "2026-01-02T03:04:05Z", true),
        ("NumericGreaterThan", "aws:EpochTime", "1767323044", true),
        ("IpAddress", "aws:SourceIp", "203.0.113.0/28", true),
        ("ForAllValues:StringLike", "aws:TagKeys", "x509*", true),
        ("Null", "sts:RoleSessionName", "true", true),
        ("StringEquals", "aws:SourceAccount", "999999999999", false),
    ])
    func evaluatesAgainstBuiltContext(_ op: String, _ key: String, _ value: String, _ expected: Bool) throws {
        let statement = PolicyStatement(
            effect: .allow, principal: .any, actions: ["sts:AssumeRole"],
            conditions: [
                PolicyCondition(operator: try #require(ConditionOperator(name: op)), key: key, values: [value])
            ])
        let decision = PolicyEvaluator.evaluate(
            PolicyDocument(statements: [statement]), principalService: "rolesanywhere.amazonaws.com",
            actions: ["sts:AssumeRole"], context: Self.context)
        #expect(decision.allowed == expected)
    }

    @Test func caseCollidingKeysMerge() {
        let c = RequestContext(["aws:PrincipalTag/a": ["1"], "aws:principaltag/A": ["2"], "empty": []])
        #expect(c.values(for: "AWS:PRINCIPALTAG/A")?.sorted() == ["1", "2"])
        #expect(c.values(for: "empty") == nil)
    }

    @Test(arguments: [
        (0, "1970-01-01T00:00:00Z"), (951_782_400, "2000-02-29T00:00:00Z"), (1_767_225_599, "2025-12-31T23:59:59Z"),
        (-1, "1969-12-31T23:59:59Z"),
    ])
    func currentTimeFormatting(_ epoch: Int, _ text: String) {
        let c = RequestContext.createSession(
            sourceArn: "a", sourceAccount: "b", principalTags: [], sourceIdentity: "c", roleSessionName: "s",
            epochSeconds: epoch, sourceIp: nil)
        #expect(c.values(for: "aws:CurrentTime") == [text])
        #expect(c.values(for: "sts:RoleSessionName") == ["s"])
        #expect(c.values(for: "aws:TagKeys") == nil)  // no tags: the key is missing
    }
}
