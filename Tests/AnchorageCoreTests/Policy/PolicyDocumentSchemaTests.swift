import AnchorageCore
import Testing

@Suite struct PolicyDocumentSchemaTests {
    struct Case: Sendable, CustomStringConvertible {
        var json: String
        var path: String
        var description: String { path + " <- " + json }
    }

    static let allow = #""Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole""#

    @Test(arguments: [
        Case(json: #"{"Statement": [], "Extra": 1}"#, path: "$.Extra"),
        Case(json: #"{"Statement": [{\#(allow), "Conditions": {}}]}"#, path: "$.Statement[0].Conditions"),
        Case(
            json: #"{"Statement": [{"Effect": "allow", "Principal": "*", "Action": "a"}]}"#,
            path: "$.Statement[0].Effect"),
        Case(
            json: #"{"Statement": [{"Effect": "Permit", "Principal": "*", "Action": "a"}]}"#,
            path: "$.Statement[0].Effect"),
        Case(json: #"{"Statement": [{"Principal": "*", "Action": "a"}]}"#, path: "$.Statement[0]"),
        Case(
            json: #"{"Statement": [{\#(allow), "Condition": {"StringEqualz": {"k": "v"}}}]}"#,
            path: "$.Statement[0].Condition.StringEqualz"),
        Case(
            json: #"{"Statement": [{\#(allow), "Condition": {"NullIfExists": {"k": "true"}}}]}"#,
            path: "$.Statement[0].Condition.NullIfExists"),
        Case(json: #"{"Statement": [{\#(allow), "Condition": "StringEquals"}]}"#, path: "$.Statement[0].Condition"),
        Case(json: #"{"Statement": [{\#(allow), "Condition": []}]}"#, path: "$.Statement[0].Condition"),
        Case(
            json: #"{"Statement": [{\#(allow), "Condition": {"StringEquals": "v"}}]}"#,
            path: "$.Statement[0].Condition.StringEquals"),
        Case(
            json: #"{"Statement": [{\#(allow), "Condition": {"StringEquals": {}}}]}"#,
            path: "$.Statement[0].Condition.StringEquals"),
        Case(
            json: #"{"Statement": [{\#(allow), "Condition": {"StringEquals": {"k": {"x": 1}}}}]}"#,
            path: "$.Statement[0].Condition.StringEquals.k"),
        Case(
            json: #"{"Statement": [{\#(allow), "Condition": {"StringEquals": {"k": ["a", null]}}}]}"#,
            path: "$.Statement[0].Condition.StringEquals.k[1]"),
        Case(
            json: #"{"Statement": [{\#(allow), "Condition": {"StringEquals": {"k": []}}}]}"#,
            path: "$.Statement[0].Condition.StringEquals.k"),
        Case(
            json: #"{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "a", "NotAction": "b"}]}"#,
            path: "$.Statement[0]"),
        Case(json: #"{"Statement": [{"Effect": "Allow", "Principal": "*"}]}"#, path: "$.Statement[0]"),
        Case(json: #"{"Statement": [{"Effect": "Allow", "Action": "a"}]}"#, path: "$.Statement[0]"),
        // IAM refuses NotPrincipal in a role trust policy, alone or beside Principal, Allow or Deny.
        Case(
            json: #"{"Statement": [{"Effect": "Allow", "Principal": "*", "NotPrincipal": "*", "Action": "a"}]}"#,
            path: "$.Statement[0].NotPrincipal"),
        Case(
            json:
                #"{"Statement": [{"Effect": "Allow", "NotPrincipal": {"Service": "ec2.amazonaws.com"}, "Action": "a"}]}"#,
            path: "$.Statement[0].NotPrincipal"),
        Case(
            json: #"{"Statement": [{\#(allow)}, {"Effect": "Deny", "NotPrincipal": {"AWS": "*"}, "Action": "a"}]}"#,
            path: "$.Statement[1].NotPrincipal"),
        Case(
            json: #"{"Statement": [{"Effect": "Allow", "Principal": "everyone", "Action": "a"}]}"#,
            path: "$.Statement[0].Principal"),
        Case(
            json: #"{"Statement": [{"Effect": "Allow", "Principal": {"CanonicalUser": "x"}, "Action": "a"}]}"#,
            path: "$.Statement[0].Principal.CanonicalUser"),
        Case(
            json: #"{"Statement": [{"Effect": "Allow", "Principal": {"Service": [1]}, "Action": "a"}]}"#,
            path: "$.Statement[0].Principal.Service[0]"),
        Case(
            json: #"{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": []}]}"#,
            path: "$.Statement[0].Action"),
        Case(
            json: #"{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": 5}]}"#, path: "$.Statement[0].Action"
        ),
        Case(json: #"{"Statement": [{\#(allow), "Resource": 7}]}"#, path: "$.Statement[0].Resource"),
        Case(json: #"{"Statement": [{\#(allow), "Sid": 7}]}"#, path: "$.Statement[0].Sid"),
        Case(json: #"{"Version": "2012-10-18", "Statement": []}"#, path: "$.Version"),
        Case(json: #"{"Version": "2012-10-17"}"#, path: "$"),
        Case(json: #"{"Statement": "Allow"}"#, path: "$.Statement"),
        Case(json: #"{"Statement": [{\#(allow)}, 3]}"#, path: "$.Statement[1]"),
        Case(json: #"[]"#, path: "$"),
    ])
    func rejectsWithPath(_ c: Case) throws {
        let json = try JSONParser.parse(c.json)
        #expect(throws: SchemaError.self) { try PolicyDocument(json: json) }
        do {
            _ = try PolicyDocument(json: json)
        } catch {
            #expect(error.path == c.path, "\(error)")
        }
    }

    @Test func pathPrefixIsUsed() throws {
        let json = try JSONParser.parse(#"{"Statement": [{"Effect": "Deny!", "Principal": "*", "Action": "a"}]}"#)
        do {
            _ = try PolicyDocument(json: json, path: "$.AssumeRolePolicyDocument")
            Issue.record("accepted")
        } catch {
            #expect(error.path == "$.AssumeRolePolicyDocument.Statement[0].Effect")
        }
    }

    @Test func parsesFullShape() throws {
        let document = try PolicyDocument(
            json: try JSONParser.parse(
                """
                {"Version": "2008-10-17", "Id": "trust", "Statement": {
                  "Sid": "RA", "Effect": "Allow",
                  "Principal": {"Service": ["rolesanywhere.amazonaws.com"], "AWS": "*", "Federated": "x"},
                  "Action": "sts:AssumeRole", "Resource": "*", "NotResource": ["a"],
                  "Condition": {"ForAllValues:StringLikeIfExists": {"aws:TagKeys": ["x509*", 3, true]},
                                "Null": {"aws:SourceIp": false}}
                }}
                """))
        #expect(document.version == "2008-10-17")
        #expect(document.id == "trust")
        let s = try #require(document.statements.first)
        #expect(s.sid == "RA")
        #expect(s.principal == .specific(service: ["rolesanywhere.amazonaws.com"], aws: ["*"], federated: ["x"]))
        #expect(
            s.conditions == [
                PolicyCondition(
                    operator: ConditionOperator(base: .stringLike, qualifier: .forAllValues, ifExists: true),
                    key: "aws:TagKeys", values: ["x509*", "3", "true"]),
                PolicyCondition(operator: ConditionOperator(base: .null), key: "aws:SourceIp", values: ["false"]),
            ])
    }

    @Test func versionIsOptional() throws {
        let document = try PolicyDocument(json: try JSONParser.parse(#"{"Statement": []}"#))
        #expect(document.version == nil)
        #expect(document.statements.isEmpty)
    }
}
