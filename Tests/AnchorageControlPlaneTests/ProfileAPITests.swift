import AnchorageConfig
import AnchorageConfigFixtures
import AnchorageCore
import Foundation
import Testing

@Suite struct ProfileAPITests {
    @Test func theWholeLifecycleWithMappingsPoliciesAndSessionNames() throws {
        let harness = try ControlPlaneHarness()
        let policy =
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#
        let created = try harness.createProfile(
            name: "batch jobs",
            extra: [
                JSONMember(key: "sessionPolicy", value: .string(policy)),
                JSONMember(
                    key: "managedPolicyArns", value: .array([.string("arn:aws:iam::aws:policy/ReadOnlyAccess")])),
                JSONMember(key: "acceptRoleSessionName", value: .bool(true)),
                JSONMember(key: "durationSeconds", value: .number("1800")),
                JSONMember(key: "tags", value: .array([.object(["key": .string("team"), "value": .string("batch")])])),
            ])
        #expect(created.status == 201)
        let profile = try #require(created["profile"])
        let id = try #require(profile["profileId"]?.stringValue)
        let arn = try #require(profile["profileArn"]?.stringValue)
        #expect(profile["sessionPolicy"] == .string(policy))
        #expect(profile["durationSeconds"] == .number("1800"))
        #expect(profile["acceptRoleSessionName"] == .bool(true))
        #expect(profile["attributeMappings"]?.arrayValue.count == 3)
        let request = try #require(harness.authorizer.last)
        #expect(request.action == "rolesanywhere:CreateProfile")
        #expect(request.resources == [arn])
        #expect(request.requestKeys["aws:RequestTag/team"] == ["batch"])
        #expect(request.requestKeys["aws:TagKeys"] == ["team"])

        // What the server loads from `batch-jobs.json`.
        let loaded = try #require(try harness.load().profiles[arn])
        #expect(loaded.name == "batch-jobs")
        #expect(loaded.acceptRoleSessionName && loaded.durationSeconds == 1800 && loaded.enabled)
        #expect(loaded.sessionPolicy == policy)
        #expect(loaded.managedPolicyArns == ["arn:aws:iam::aws:policy/ReadOnlyAccess"])

        let mapped = try harness.call(
            "PUT", "/profiles/\(id)/mappings",
            .object([
                "certificateField": .string("x509Subject"),
                "mappingRules": .array([.object(["specifier": .string("CN")]), .object(["specifier": .string("OU")])]),
            ]))
        #expect(mapped.status == 200)
        #expect(
            try harness.load().profiles[arn]?.attributeMappings?.first { $0.certificateField == .x509Subject }?
                .specifiers == ["CN", "OU"])
        let unmapped = try harness.call(
            "DELETE", "/profiles/\(id)/mappings", query: "certificateField=x509Subject&specifiers=CN")
        #expect(unmapped.status == 200)
        #expect(
            try harness.load().profiles[arn]?.attributeMappings?.first { $0.certificateField == .x509Subject }?
                .specifiers == ["OU"])

        let updated = try harness.call(
            "PATCH", "/profile/\(id)", .object(["durationSeconds": .number("7200"), "name": .string("nightly")]))
        #expect(updated["profile"]?["durationSeconds"] == .number("7200"))
        #expect(updated["profile"]?["name"] == .string("nightly"))
        #expect(updated["profile"]?["sessionPolicy"] == .string(policy))

        #expect(try harness.call("POST", "/profile/\(id)/disable")["profile"]?["enabled"] == .bool(false))
        #expect(try harness.load().profiles[arn]?.enabled == false)
        #expect(try harness.call("DELETE", "/profile/\(id)").status == 200)
        #expect(try harness.load().profiles[arn] == nil)
        #expect(try harness.call("DELETE", "/profile/\(id)").status == 404)
    }

    @Test func anUpdateKeepsTheMembersItDoesNotKnow() throws {
        let harness = try ControlPlaneHarness()
        let path = "Profiles/web.json"
        try harness.fixture.write(
            path, PrettyJSON.text(try harness.readJSON(path).setting("bindSourceIp", to: .bool(true))))
        let id = ARN(profileArn)!.resourceName
        #expect(try harness.call("PATCH", "/profile/\(id)", .object(["durationSeconds": .number("900")])).status == 200)
        let document = try harness.readJSON(path)
        #expect(document["bindSourceIp"] == .bool(true))
        #expect(document["durationSeconds"] == .number("900"))
        #expect(document["updatedAt"] == .string(UTCTimestamp.iso8601(testNow)))
    }

    /// Each malformed request gets a ValidationException naming the member, and nothing is written.
    @Test(arguments: [
        (#"{"roleArns":[]}"#, "name"),
        (#"{"name":"bad/name","roleArns":[]}"#, "name"),
        (#"{"name":"x"}"#, "roleArns"),
        (#"{"name":"x","roleArns":["not-an-arn"]}"#, "roleArns[0]"),
        (#"{"name":"x","roleArns":["arn:aws:iam::999999999999:role/r"]}"#, "roleArns[0]"),
        (#"{"name":"x","roleArns":["arn:aws:iam::123456789012:role/undefined"]}"#, "roleArns[0]"),
        (#"{"name":"x","roleArns":[],"durationSeconds":100}"#, "durationSeconds"),
        (#"{"name":"x","roleArns":[],"durationSeconds":"3600"}"#, "durationSeconds"),
        (#"{"name":"x","roleArns":[],"sessionPolicy":"not json"}"#, "sessionPolicy"),
        (#"{"name":"x","roleArns":[],"managedPolicyArns":["x"]}"#, "managedPolicyArns[0]"),
        (#"{"name":"x","roleArns":[],"enabled":"yes"}"#, "enabled"),
        (#"{"name":"x","roleArns":[],"tags":[{"key":"aws:x","value":"v"}]}"#, "tags[0].key"),
        (#"["not an object"]"#, "body"),
    ])
    func malformedCreateProfileNamesTheField(_ body: String, _ field: String) throws {
        let harness = try ControlPlaneHarness()
        let before = try FileManager.default.contentsOfDirectory(atPath: harness.fixture.profilesDirectory).sorted()
        let answer = try harness.call("POST", "/profiles", try JSONParser.parse(body))
        #expect(answer.status == 400)
        #expect(answer.errorType == "ValidationException")
        #expect(answer.message.hasPrefix(field + ":"), "\(answer.message)")
        #expect(answer.audit.outcome == "error")
        #expect(answer.audit.reason == "validation_error")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: harness.fixture.profilesDirectory).sorted() == before)
    }

    @Test(arguments: [
        ("GET", "/profile/not-a-uuid", nil as String?, "profileId"),
        ("GET", "/profiles", "pageSize=0", "pageSize"),
        ("GET", "/profiles", "pageSize=ten", "pageSize"),
        ("GET", "/profiles", "nextToken=bm9wZQ%3D%3D", "nextToken"),
        (
            "DELETE", "/profiles/8f0e2a3b-1c4d-4e5f-8a9b-0c1d2e3f4a5b/mappings", "certificateField=x509Foo",
            "certificateField"
        ),
        ("GET", "/ListTagsForResource", "resourceArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fx", "resourceArn"),
    ])
    func malformedPathsAndQueriesNameTheField(_ method: String, _ path: String, _ query: String?, _ field: String)
        throws
    {
        let harness = try ControlPlaneHarness()
        let answer = try harness.call(method, path, query: query)
        #expect(answer.status == 400)
        #expect(answer.errorType == "ValidationException")
        #expect(answer.message.hasPrefix(field + ":"), "\(answer.message)")
    }

    @Test func unknownPathsAreNotTheControlPlanes() throws {
        let harness = try ControlPlaneHarness()
        for (method, path) in [("GET", "/sessions"), ("POST", "/"), ("PUT", "/profiles"), ("GET", "/profile/x/y/z")] {
            #expect(
                harness.api.handle(
                    method: method, path: path, rawQuery: nil, body: [], caller: ControlPlaneHarness.caller(),
                    authorizer: harness.authorizer) == nil)
        }
    }
}
