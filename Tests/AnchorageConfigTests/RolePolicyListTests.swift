import AnchorageConfig
import AnchorageConfigFixtures
import AnchorageCore
import Testing

/// `RolePolicyList`, `Tags` and `CreateDate` in role files: what the loader (and so `validate`, `serve` and the IAM
/// API) accepts, what it refuses with the file and the JSON path, and the writer's round trip.
@Suite struct RolePolicyListTests {
    static let adminPolicy = #"""
        {"Version": "2012-10-17", "Statement": [
          {"Effect": "Allow", "Action": ["rolesanywhere:*", "iam:*"], "Resource": "*"}]}
        """#

    @Test func inlinePoliciesTagsAndCreateDateLoad() throws {
        let fixture = try ConfigFixture()
        try fixture.write(
            ConfigFixture.role,
            ConfigFixture.roleJSON(
                extra: #"""
                    ,
                      "CreateDate": "2026-01-31T12:00:00Z",
                      "Tags": [{"Key": "team", "Value": "pki"}],
                      "RolePolicyList": [
                        {"PolicyName": "admin", "PolicyDocument": \#(Self.adminPolicy)},
                        {"PolicyName": "encoded", "PolicyDocument": "%7B%22Statement%22%3A%7B%22Effect%22%3A%22Deny%22%2C%22Action%22%3A%22iam%3ADeleteRole%22%2C%22Resource%22%3A%22%2A%22%7D%7D"}
                      ]
                    """#))
        let configuration = try fixture.loader.load(generation: 1)
        let role = try #require(configuration.roles[roleArn])
        #expect(role.identityPolicies.map(\.name) == ["admin", "encoded"])
        #expect(role.identityPolicies[0].document.statements[0].actions == ["rolesanywhere:*", "iam:*"])
        #expect(role.identityPolicies[1].document.statements[0].effect == .deny)
        #expect(role.identityPolicies[1].document.statements[0].resources == ["*"])
    }

    @Test func writerRoundTripsEveryExtension() throws {
        let fixture = try ConfigFixture()
        let document = RoleDocument(
            arn: roleArn, description: "admins", trustPolicy: ConfigFixture.policy(),
            inlinePolicies: [.init(name: "admin", document: try JSONParser.parse(Self.adminPolicy))],
            tags: [.init(key: "team", value: "pki"), .init(key: "Team", value: "")], createDate: "2026-01-31T12:00:00Z")
        try fixture.writer.writeRole(document)
        var issues: [SchemaError] = []
        let json = try JSONParser.parse(try fixture.directory.read(ConfigFixture.role))
        let decoded = RoleDocument.decode(json, issues: &issues)
        #expect(issues.isEmpty, "\(issues)")
        #expect(decoded?.document == document)
        #expect(try fixture.loader.load(generation: 1).roles[roleArn]?.identityPolicies.count == 1)
    }

    @Test func roleNamesThatDifferOnlyInCaseAreRefused() throws {
        let fixture = try ConfigFixture()
        try fixture.write(
            "Profiles/roles/Web-Reader.json", ConfigFixture.roleJSON(arn: "arn:aws:iam::123456789012:role/Web-Reader"))
        let issues = fixture.loadIssues()
        #expect(
            issues.contains {
                $0.path == "$.Arn" && $0.message.contains("differs only in case")
                    && ($0.file.hasSuffix("web-reader.json") || $0.file.hasSuffix("Web-Reader.json"))
            }, "\(issues.map(\.description))")
    }

    struct Broken: Sendable, CustomStringConvertible {
        var name: String
        var extra: String
        var path: String
        var message: String
        var description: String { name }
    }

    @Test(arguments: [
        Broken(
            name: "not an array", extra: #", "RolePolicyList": {}"#, path: "$.RolePolicyList",
            message: "must be an array"),
        Broken(
            name: "unknown key in an entry",
            extra: #", "RolePolicyList": [{"PolicyName": "a", "PolicyDocument": \#(adminPolicy), "Arn": "x"}]"#,
            path: "$.RolePolicyList[0].Arn", message: "unknown key"),
        Broken(
            name: "missing document", extra: #", "RolePolicyList": [{"PolicyName": "a"}]"#,
            path: "$.RolePolicyList[0].PolicyDocument", message: "required"),
        Broken(
            name: "bad name", extra: #", "RolePolicyList": [{"PolicyName": "a b", "PolicyDocument": \#(adminPolicy)}]"#,
            path: "$.RolePolicyList[0].PolicyName", message: "1-128 characters"),
        Broken(
            name: "duplicate name",
            extra:
                #", "RolePolicyList": [{"PolicyName": "a", "PolicyDocument": \#(adminPolicy)}, {"PolicyName": "a", "PolicyDocument": \#(adminPolicy)}]"#,
            path: "$.RolePolicyList[1].PolicyName", message: "duplicate policy name"),
        Broken(
            name: "principal in an identity policy",
            extra:
                #", "RolePolicyList": [{"PolicyName": "a", "PolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "iam:*", "Resource": "*"}]}}]"#,
            path: "$.RolePolicyList[0].PolicyDocument.Statement[0].Principal", message: "must not specify a principal"),
        Broken(
            name: "no resource",
            extra:
                #", "RolePolicyList": [{"PolicyName": "a", "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "iam:*"}]}}]"#,
            path: "$.RolePolicyList[0].PolicyDocument.Statement[0]", message: "missing \"Resource\""),
        Broken(
            name: "unknown condition operator",
            extra:
                #", "RolePolicyList": [{"PolicyName": "a", "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*", "Condition": {"StringEqualz": {"aws:SourceIp": "x"}}}]}}]"#,
            path: "$.RolePolicyList[0].PolicyDocument.Statement[0].Condition.StringEqualz",
            message: "unknown condition operator"),
        Broken(
            name: "tag key reserved", extra: #", "Tags": [{"Key": "aws:x", "Value": "v"}]"#, path: "$.Tags[0].Key",
            message: "reserved"),
        Broken(
            name: "duplicate tag", extra: #", "Tags": [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]"#,
            path: "$.Tags[1].Key", message: "duplicate tag key"),
        Broken(
            name: "bad create date", extra: #", "CreateDate": "yesterday""#, path: "$.CreateDate", message: "ISO 8601"),
        Broken(
            name: "policies too large",
            extra:
                #", "RolePolicyList": [{"PolicyName": "a", "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "\#(String(repeating: "r", count: 10300))"}]}}]"#,
            path: "$.RolePolicyList", message: "more than IAM's 10240"),
    ])
    func brokenRoleFilesNameFileAndPath(_ row: Broken) throws {
        let fixture = try ConfigFixture()
        try fixture.write(ConfigFixture.role, ConfigFixture.roleJSON(extra: row.extra))
        let issues = fixture.loadIssues()
        #expect(
            issues.contains {
                $0.file == fixture.url(ConfigFixture.role) && $0.path == row.path && $0.message.contains(row.message)
            }, "\(issues.map(\.description))")
    }
}
