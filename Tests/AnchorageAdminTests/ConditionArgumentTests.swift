import AnchorageCommandLine
import AnchorageCore
import Testing

@testable import AnchorageAdmin

@Suite("--condition syntax")
struct ConditionArgumentTests {
    @Test(
        "operator, key and value split",
        arguments: [
            (
                "StringEquals:aws:PrincipalTag/x509Subject/OU=web", "StringEquals", "aws:PrincipalTag/x509Subject/OU",
                "web"
            ),
            (
                "StringLike:aws:PrincipalTag/x509SAN/URI=spiffe://lab/*", "StringLike", "aws:PrincipalTag/x509SAN/URI",
                "spiffe://lab/*"
            ),
            (
                "ArnEquals:aws:SourceArn=arn:aws:rolesanywhere:us-east-1:1:trust-anchor/x", "ArnEquals",
                "aws:SourceArn",
                "arn:aws:rolesanywhere:us-east-1:1:trust-anchor/x"
            ),
            (
                "ForAnyValue:StringEquals:aws:TagKeys=x509Subject/CN", "ForAnyValue:StringEquals", "aws:TagKeys",
                "x509Subject/CN"
            ),
            (
                "ForAllValues:StringLikeIfExists:aws:TagKeys=x509*", "ForAllValues:StringLikeIfExists", "aws:TagKeys",
                "x509*"
            ),
            (
                "StringEquals:aws:PrincipalTag/x509Subject/CN=a=b,c", "StringEquals", "aws:PrincipalTag/x509Subject/CN",
                "a=b,c"
            ),
            ("StringEquals:aws:PrincipalTag/x509Subject/OU=", "StringEquals", "aws:PrincipalTag/x509Subject/OU", ""),
            ("Null:aws:PrincipalTag/x509SAN/DNS=true", "Null", "aws:PrincipalTag/x509SAN/DNS", "true"),
        ])
    func splits(text: String, operatorName: String, key: String, value: String) throws {
        let condition = try ConditionArgument(text)
        #expect(condition.operatorName == operatorName)
        #expect(condition.key == key)
        #expect(condition.value == value)
    }

    @Test(
        "malformed conditions are usage errors",
        arguments: [
            "StringEquals", "Bogus:aws:SourceArn=x", "StringEquals:aws:SourceArn", "StringEquals:=x",
            "ForAnyValue:aws:TagKeys=x", "NullIfExists:aws:SourceArn=true",
        ])
    func rejects(text: String) {
        #expect(throws: CommandArguments.UsageError.self) { try ConditionArgument(text) }
    }

    @Test("repeated operator and key add values; the block is a valid trust-policy Condition")
    func block() throws {
        let block = ConditionArgument.conditionBlock([
            try ConditionArgument("StringEquals:aws:PrincipalTag/x509Subject/OU=web"),
            try ConditionArgument(
                "ArnEquals:aws:SourceArn=arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/x"),
            try ConditionArgument("StringEquals:aws:PrincipalTag/x509Subject/OU=ops"),
            try ConditionArgument("StringEquals:aws:PrincipalTag/x509Subject/O=Lab"),
        ])
        #expect(
            JSONWriter.string(block)
                == #"{"StringEquals":{"aws:PrincipalTag/x509Subject/OU":["web","ops"],"aws:PrincipalTag/x509Subject/O":"Lab"},"#
                + #""ArnEquals":{"aws:SourceArn":"arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/x"}}"#)
        let policy = JSONValue.object([
            "Version": .string("2012-10-17"),
            "Statement": .array([
                .object([
                    "Effect": .string("Allow"),
                    "Principal": .object(["Service": .string("rolesanywhere.amazonaws.com")]),
                    "Action": .string("sts:AssumeRole"), "Condition": block,
                ])
            ]),
        ])
        _ = try PolicyDocument(json: policy)
    }

    @Test("--subject is OpenSSL's -subj form in certificate order")
    func subject() throws {
        let parsed = try SubjectName.parse(#"/C=US/O=Example\/Lab/OU=web/CN=web-1"#)
        #expect(parsed.map(\.0) == ["C", "O", "OU", "CN"])
        #expect(parsed.map(\.1) == ["US", "Example/Lab", "web", "web-1"])
        #expect(throws: CommandArguments.UsageError.self) { try SubjectName.parse("CN=web-1,O=Example") }
        #expect(throws: CommandArguments.UsageError.self) { try SubjectName.parse("/CN=") }
        #expect(throws: CommandArguments.UsageError.self) { try SubjectName.parse("/=x") }
    }
}
