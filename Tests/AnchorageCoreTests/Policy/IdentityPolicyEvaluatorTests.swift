import AnchorageCore
import Testing

/// The identity-policy evaluator as decision tables: one policy set, many (action, resources, context) rows, each
/// with the expected decision.
@Suite struct IdentityPolicyEvaluatorTests {
    static let account = "123456789012"
    static let anchor = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/4a1c52e0-7d6b-4b7e-9a55-0e6f4c3b9d21"
    static let profile = "arn:aws:rolesanywhere:us-east-1:123456789012:profile/8f0e2a3b-1c4d-4e5f-8a9b-0c1d2e3f4a5b"
    static let role = "arn:aws:iam::123456789012:role/web-reader"

    static func policy(_ name: String, _ text: String) throws -> IdentityPolicy {
        IdentityPolicy(name: name, document: try PolicyDocument(json: try JSONParser.parse(text), kind: .identity))
    }

    /// An admin policy, a read-only one with conditions, and a deny on one profile.
    static func policies() throws -> [IdentityPolicy] {
        [
            try policy(
                "admin",
                """
                {"Version": "2012-10-17", "Statement": [
                  {"Sid": "Manage", "Effect": "Allow", "Action": "rolesanywhere:*",
                   "Resource": "arn:aws:rolesanywhere:*:123456789012:*",
                   "Condition": {"StringEquals": {"aws:PrincipalTag/x509Subject/OU": "pki-admins"}}},
                  {"Effect": "Allow", "Action": ["ROLESANYWHERE:list*"], "Resource": "*",
                   "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
                  {"Effect": "Allow", "Action": "iam:Get*", "Resource": "arn:aws:iam::123456789012:role/*"},
                  {"Effect": "Allow", "NotAction": ["iam:Delete*", "rolesanywhere:*", "iam:Get*"],
                   "NotResource": "arn:aws:iam::123456789012:role/protected-*"}
                ]}
                """),
            try policy(
                "guards",
                """
                {"Version": "2012-10-17", "Statement": [
                  {"Sid": "KeepProfile", "Effect": "Deny", "Action": "rolesanywhere:Delete*",
                   "Resource": "\(profile)"},
                  {"Sid": "OwnTagsOnly", "Effect": "Deny", "Action": "rolesanywhere:TagResource", "Resource": "*",
                   "Condition": {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["team", "env"]}}},
                  {"Sid": "Business", "Effect": "Deny", "Action": "*", "Resource": "*",
                   "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}}
                ]}
                """),
        ]
    }

    struct Row: Sendable, CustomStringConvertible {
        var name: String
        var action: String
        var resources: [String]
        var context: [String: [String]] = [:]
        /// nil: allowed; otherwise the denial code.
        var denied: String?
        var description: String { name }
    }

    static let admin: [String: [String]] = ["aws:PrincipalTag/x509Subject/OU": ["pki-admins"]]

    @Test(arguments: [
        Row(
            name: "wildcard service action with the tag", action: "rolesanywhere:CreateProfile",
            resources: ["arn:aws:rolesanywhere:us-east-1:123456789012:profile/9f0e2a3b-1c4d-4e5f-8a9b-0c1d2e3f4a5b"],
            context: admin),
        Row(
            name: "no tag, no allow", action: "rolesanywhere:CreateProfile", resources: [anchor],
            denied: "no_allowing_policy"),
        Row(
            name: "wrong tag value", action: "rolesanywhere:GetTrustAnchor", resources: [anchor],
            context: ["aws:PrincipalTag/x509Subject/OU": ["web"]], denied: "no_allowing_policy"),
        Row(
            name: "tag key case-insensitive", action: "rolesanywhere:GetTrustAnchor", resources: [anchor],
            context: ["aws:principaltag/X509SUBJECT/ou": ["pki-admins"]]),
        Row(
            name: "tag value compares by code point", action: "rolesanywhere:GetTrustAnchor", resources: [anchor],
            context: ["aws:PrincipalTag/x509Subject/OU": ["PKI-admins"]], denied: "no_allowing_policy"),
        Row(
            name: "action matched ignoring ASCII case", action: "RolesAnywhere:getTrustAnchor", resources: [anchor],
            context: admin),
        Row(
            name: "explicit deny beats allow", action: "rolesanywhere:DeleteProfile", resources: [profile],
            context: admin, denied: "explicit_deny"),
        Row(
            name: "deny only on the named profile", action: "rolesanywhere:DeleteTrustAnchor", resources: [anchor],
            context: admin),
        Row(
            name: "other account's resource does not match the account part", action: "rolesanywhere:GetTrustAnchor",
            resources: [
                "arn:aws:rolesanywhere:us-east-1:210987654321:trust-anchor/4a1c52e0-7d6b-4b7e-9a55-0e6f4c3b9d21"
            ], context: admin, denied: "no_allowing_policy"),
        Row(
            name: "list on * from the allowed network", action: "rolesanywhere:ListProfiles", resources: ["*"],
            context: ["aws:SourceIp": ["10.1.2.3"]]),
        Row(
            name: "list on * from elsewhere", action: "rolesanywhere:ListProfiles", resources: ["*"],
            context: ["aws:SourceIp": ["192.0.2.1"]], denied: "no_allowing_policy"),
        Row(
            name: "an ARN statement does not cover *", action: "rolesanywhere:ListProfiles", resources: ["*"],
            context: admin, denied: "no_allowing_policy"),
        Row(name: "iam:Get* covers GetRole", action: "iam:GetRole", resources: [role]),
        Row(name: "iam:Get* does not cover ListRoles", action: "iam:ListRoles", resources: ["*"]),
        Row(
            name: "NotAction excludes Delete*", action: "iam:DeleteRole", resources: [role],
            denied: "no_allowing_policy"),
        Row(name: "NotAction covers UpdateRole", action: "iam:UpdateRole", resources: [role]),
        Row(
            name: "NotResource excludes protected roles", action: "iam:UpdateRole",
            resources: ["arn:aws:iam::123456789012:role/protected-admin"], denied: "no_allowing_policy"),
        Row(
            name: "every resource needs an allow", action: "iam:UpdateRole",
            resources: [role, "arn:aws:iam::123456789012:role/protected-x"], denied: "no_allowing_policy"),
        Row(
            name: "TagKeys within the allowed set", action: "rolesanywhere:TagResource", resources: [anchor],
            context: admin.merging(["aws:TagKeys": ["team"]]) { a, _ in a }),
        Row(
            name: "a TagKey outside the set is denied", action: "rolesanywhere:TagResource", resources: [anchor],
            context: admin.merging(["aws:TagKeys": ["team", "owner"]]) { a, _ in a }, denied: "explicit_deny"),
        Row(
            name: "CurrentTime condition", action: "iam:GetRole", resources: [role],
            context: ["aws:CurrentTime": ["2031-06-01T00:00:00Z"]], denied: "explicit_deny"),
        Row(name: "no resource at all", action: "iam:GetRole", resources: [], denied: "no_allowing_policy"),
    ])
    func decision(_ row: Row) throws {
        let decision = IdentityPolicyEvaluator.evaluate(
            try Self.policies(), action: row.action, resources: row.resources, context: RequestContext(row.context))
        switch (decision, row.denied) {
        case (.allowed, nil): break
        case (.denied(let denial), let expected?): #expect(denial.code == expected, "\(denial)")
        default: Issue.record("\(row.name): got \(decision), expected \(row.denied ?? "allowed")")
        }
    }

    @Test func noPoliciesDeniesEverything() {
        let decision = IdentityPolicyEvaluator.evaluate(
            [], action: "iam:GetRole", resources: ["*"], context: RequestContext([:]))
        #expect(decision == .denied(.noAllowingPolicy(resource: "*")))
    }

    @Test func explicitDenyNamesPolicyAndStatement() throws {
        let decision = IdentityPolicyEvaluator.evaluate(
            try Self.policies(), action: "rolesanywhere:DeleteProfile", resources: [Self.profile],
            context: RequestContext(Self.admin))
        #expect(decision == .denied(.explicitDeny(policyName: "guards", statementIndex: 0, sid: "KeepProfile")))
    }

    @Test(arguments: [
        (
            #"{"Statement": {"Effect": "Allow", "Action": "iam:*", "Resource": "*", "Principal": "*"}}"#,
            "$.Statement.Principal"
        ),
        (
            #"{"Statement": {"Effect": "Allow", "Action": "iam:*", "Resource": "*", "NotPrincipal": {"AWS": "*"}}}"#,
            "$.Statement.NotPrincipal"
        ),
        (#"{"Statement": {"Effect": "Allow", "Action": "iam:*"}}"#, "$.Statement"),
        (#"{"Statement": {"Effect": "Allow", "Action": "iam:*", "Resource": "*", "NotResource": "*"}}"#, "$.Statement"),
        (#"{"Statement": {"Effect": "Allow", "Action": "iam:*", "Resource": []}}"#, "$.Statement.Resource"),
        (#"{"Statement": {"Effect": "allow", "Action": "iam:*", "Resource": "*"}}"#, "$.Statement.Effect"),
    ])
    func malformedIdentityPolicies(_ text: String, _ path: String) throws {
        #expect(throws: SchemaError.self) { try PolicyDocument(json: try JSONParser.parse(text), kind: .identity) }
        do {
            _ = try PolicyDocument(json: try JSONParser.parse(text), kind: .identity)
        } catch let error as SchemaError {
            #expect(error.path == path, "\(error)")
        }
    }

    @Test func controlPlaneContextKeepsCallerKeys() {
        let claims = SessionClaims.sample(roleArn: Self.role, tags: [PrincipalTag(key: "x509Subject/OU", value: "pki")])
        let context = RequestContext.controlPlane(
            claims: claims, account: Self.account, region: "eu-west-1", sourceIp: "10.0.0.1", epochSeconds: 0,
            requestKeys: [
                "aws:PrincipalTag/x509Subject/OU": ["forged"], "aws:SourceIp": ["1.2.3.4"],
                "aws:RequestTag/team": ["a"], "aws:TagKeys": ["team"], "rolesanywhere:Custom": ["x"],
            ])
        #expect(context.values(for: "aws:PrincipalTag/x509Subject/OU") == ["pki"])
        #expect(context.values(for: "aws:SourceIp") == ["10.0.0.1"])
        #expect(context.values(for: "aws:PrincipalArn") == [Self.role])
        #expect(context.values(for: "aws:PrincipalAccount") == [Self.account])
        #expect(context.values(for: "aws:RequestedRegion") == ["eu-west-1"])
        #expect(context.values(for: "aws:CurrentTime") == ["1970-01-01T00:00:00Z"])
        #expect(context.values(for: "aws:RequestTag/team") == ["a"])
        #expect(context.values(for: "aws:TagKeys") == ["team"])
        #expect(context.values(for: "rolesanywhere:Custom") == ["x"])
    }
}

extension SessionClaims {
    static func sample(roleArn: String, tags: [PrincipalTag]) -> SessionClaims {
        SessionClaims(
            accessKeyId: "ASIAEXAMPLE", secretAccessKey: "secret", roleArn: roleArn, roleSessionName: "s",
            sourceIdentity: "CN=s", principalTags: tags, trustAnchorArn: IdentityPolicyEvaluatorTests.anchor,
            profileArn: IdentityPolicyEvaluatorTests.profile, certificateSerialHex: "01", certificateSHA256: "00",
            issuerCertificates: [], issuedAt: 0, expiresAt: 3600, sourceAddress: nil)
    }
}
