import AnchorageConfigFixtures
import AnchorageControlPlane
import AnchorageCore
import Foundation
import Testing

/// The policy the Roles Anywhere article offers to copy, evaluated (with IAM semantics) on the keys the API
/// really sends: it decides as the article says.
@Suite struct ArticlePolicyTests {
    struct ArticlePolicyAuthorizer: ControlPlaneAuthorizing {
        let policy: IdentityPolicy

        func authorize(_ caller: ControlPlaneCaller, _ request: AuthorizationRequest) -> AuthorizationDecision {
            switch IdentityPolicyEvaluator.evaluate(
                [policy], action: request.action, resources: request.resources,
                context: RequestContext(request.requestKeys))
            {
            case .allowed: return .allowed
            case .denied(let denial): return .denied(reason: denial.code)
            }
        }
    }

    static func articlePolicy() throws -> IdentityPolicy {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let article = try String(
            contentsOf: root.appendingPathComponent(
                "Sources/AnchorageControlPlane/AnchorageControlPlane.docc/RolesAnywhereAPI.md"),
            encoding: .utf8)
        let blocks = article.components(separatedBy: "```json\n").dropFirst()
        try #require(blocks.count == 1)
        let json = String(blocks.first!.prefix { $0 != "`" })
        return IdentityPolicy(
            name: "article", document: try PolicyDocument(json: try JSONParser.parse(json), kind: .identity))
    }

    @Test func theWebTeamManagesOnlyItsTaggedProfilesAndKeepsTheTag() throws {
        let harness = try ControlPlaneHarness()
        let api = harness.api
        let authorizer = ArticlePolicyAuthorizer(policy: try Self.articlePolicy())
        func call(_ method: String, _ path: String, _ body: JSONValue? = nil) throws -> Int {
            api.handle(
                method: method, path: path, rawQuery: nil, body: body.map(JSONWriter.bytes) ?? [],
                caller: ControlPlaneHarness.caller(), authorizer: authorizer)?.status ?? 0
        }
        func create(team: String?) throws -> (Int, String?) {
            var members = [
                JSONMember(key: "name", value: .string("team \(team ?? "none")")),
                JSONMember(key: "roleArns", value: .array([.string(roleArn)])),
            ]
            if let team {
                members.append(
                    JSONMember(key: "tags", value: .array([.object(["key": .string("team"), "value": .string(team)])])))
            }
            let response = api.handle(
                method: "POST", path: "/profiles", rawQuery: nil, body: JSONWriter.bytes(.object(members)),
                caller: ControlPlaneHarness.caller(), authorizer: authorizer)
            let id = try response.flatMap { try JSONParser.parse($0.body)["profile"]?["profileId"]?.stringValue }
            return (response?.status ?? 0, id)
        }
        let (created, id) = try create(team: "web")
        #expect(created == 201)
        #expect(try create(team: "db").0 == 403)
        #expect(try create(team: nil).0 == 403)
        let own = try #require(id)
        let fixtureProfile = ARN(profileArn)!.resourceName
        #expect(try call("PATCH", "/profile/\(own)", .object(["durationSeconds": .number("900")])) == 200)
        #expect(try call("PATCH", "/profile/\(fixtureProfile)", .object(["durationSeconds": .number("900")])) == 403)
        #expect(try call("GET", "/profile/\(fixtureProfile)") == 200)
        #expect(try call("GET", "/trustanchors") == 200)
        let ownArn = "arn:aws:rolesanywhere:us-east-1:123456789012:profile/\(own)"
        #expect(
            try call(
                "POST", "/UntagResource",
                .object(["resourceArn": .string(ownArn), "tagKeys": .array([.string("team")])])) == 403)
        #expect(
            try call(
                "POST", "/TagResource",
                .object([
                    "resourceArn": .string(ownArn),
                    "tags": .array([.object(["key": .string("env"), "value": .string("prod")])]),
                ])) == 201)
        #expect(try call("POST", "/profile/\(own)/disable") == 200)
        #expect(try call("DELETE", "/trustanchor/\(ARN(anchorArn)!.resourceName)") == 403)
    }
}
