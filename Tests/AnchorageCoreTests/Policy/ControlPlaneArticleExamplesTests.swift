import AnchorageCore
import Foundation
import Testing

/// The policies the control-plane article offers to copy are valid identity policies, and decide as it says.
@Suite struct ControlPlaneArticleExamplesTests {
    static func examples() throws -> [PolicyDocument] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let article = try String(
            contentsOf: root.appendingPathComponent("Sources/AnchorageServer/AnchorageServer.docc/ControlPlane.md"),
            encoding: .utf8)
        return try article.components(separatedBy: "```json\n").dropFirst().map { block in
            let json = String(block.prefix { $0 != "`" })
            return try PolicyDocument(json: try JSONParser.parse(json), kind: .identity)
        }
    }

    @Test func examplesParseAndDecideAsDescribed() throws {
        let examples = try Self.examples()
        try #require(examples.count == 3)
        func decide(_ index: Int, _ action: String, _ resource: String, _ context: [String: [String]] = [:]) -> Bool {
            IdentityPolicyEvaluator.evaluate(
                [IdentityPolicy(name: "example", document: examples[index])], action: action, resources: [resource],
                context: RequestContext(context)) == .allowed
        }
        #expect(decide(0, "rolesanywhere:CreateProfile", "arn:aws:rolesanywhere:us-east-1:123456789012:profile/p"))
        let office: [String: [String]] = [
            "aws:PrincipalTag/x509Subject/OU": ["pki-admins"], "aws:SourceIp": ["10.20.3.4"],
        ]
        #expect(decide(1, "rolesanywhere:ListProfiles", "*", office))
        #expect(!decide(1, "rolesanywhere:ListProfiles", "*", office.merging(["aws:SourceIp": ["192.0.2.1"]]) { $1 }))
        #expect(!decide(1, "iam:CreateRole", "arn:aws:iam::123456789012:role/x", office))
        #expect(decide(2, "iam:CreateRole", "arn:aws:iam::123456789012:role/apps/web", ["aws:TagKeys": ["team"]]))
        #expect(!decide(2, "iam:CreateRole", "arn:aws:iam::123456789012:role/apps/web", ["aws:TagKeys": ["owner"]]))
        #expect(!decide(2, "iam:UpdateRole", "arn:aws:iam::123456789012:role/other"))
        #expect(!decide(2, "iam:DeleteRole", "arn:aws:iam::123456789012:role/pki-admin"))
    }
}
