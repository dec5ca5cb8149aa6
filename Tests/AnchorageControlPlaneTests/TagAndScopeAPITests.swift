import AnchorageConfig
import AnchorageConfigFixtures
import AnchorageCore
import Foundation
import Testing

@Suite struct TagAndScopeAPITests {
    @Test func tagsAreMergedListedRemovedAndAuthorizedWithTheirKeys() throws {
        let harness = try ControlPlaneHarness()
        let tag = try harness.call(
            "POST", "/TagResource",
            .object([
                "resourceArn": .string(profileArn),
                "tags": .array([
                    .object(["key": .string("team"), "value": .string("web")]),
                    .object(["key": .string("tier"), "value": .string("1")]),
                ]),
            ]))
        #expect(tag.status == 201)
        var request = try #require(harness.authorizer.last)
        #expect(request.action == "rolesanywhere:TagResource")
        #expect(request.requestKeys["aws:RequestTag/team"] == ["web"])
        #expect(Set(request.requestKeys["aws:TagKeys"] ?? []) == ["team", "tier"])

        let query = "resourceArn=" + profileArn.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let listed = try harness.call("GET", "/ListTagsForResource", query: query)
        #expect(listed["tags"]?.arrayValue.count == 2)
        request = try #require(harness.authorizer.last)
        #expect(request.requestKeys["aws:ResourceTag/tier"] == ["1"])
        #expect(try harness.readJSON("Profiles/web.json")["tags"]?.arrayValue.count == 2)
        _ = try harness.load()

        let untag = try harness.call(
            "POST", "/UntagResource",
            .object(["resourceArn": .string(profileArn), "tagKeys": .array([.string("tier")])]))
        #expect(untag.status == 200)
        #expect(harness.authorizer.last?.requestKeys["aws:TagKeys"] == ["tier"])
        #expect(
            try harness.call("GET", "/ListTagsForResource", query: query)["tags"]
                == .array([.object(["key": .string("team"), "value": .string("web")])]))
    }

    @Test func theFiftyFirstTagIsTooManyAndNothingIsWritten() throws {
        let harness = try ControlPlaneHarness()
        let fifty = JSONValue.array((0..<50).map { .object(["key": .string("k\($0)"), "value": .string("v")]) })
        #expect(
            try harness.call("POST", "/TagResource", .object(["resourceArn": .string(anchorArn), "tags": fifty])).status
                == 201)
        let more = try harness.call(
            "POST", "/TagResource",
            .object([
                "resourceArn": .string(anchorArn),
                "tags": .array([.object(["key": .string("k50"), "value": .string("v")])]),
            ]))
        #expect(more.status == 400)
        #expect(more.errorType == "TooManyTagsException")
        #expect(try harness.readJSON("PKI/trust-anchors/main/anchor.json")["tags"]?.arrayValue.count == 50)
    }

    @Test func anotherAccountsCallerSeesAndReachesNothingOfThisOne() throws {
        let harness = try ControlPlaneHarness()
        let stranger = ControlPlaneHarness.caller(account: "999999999999")
        #expect(try harness.call("GET", "/trustanchors", caller: stranger)["trustAnchors"] == .array([]))
        #expect(try harness.call("GET", "/profiles", caller: stranger)["profiles"] == .array([]))
        let byId = try harness.call("GET", "/profile/\(ARN(profileArn)!.resourceName)", caller: stranger)
        #expect(byId.status == 404)
        let byArn = try harness.call(
            "POST", "/TagResource",
            .object([
                "resourceArn": .string(profileArn),
                "tags": .array([.object(["key": .string("a"), "value": .string("b")])]),
            ]),
            caller: stranger)
        #expect(byArn.status == 403)
        #expect(byArn.errorType == "AccessDeniedException")
        #expect(byArn.audit.reason == "cross_account")
        #expect(byArn.audit.outcome == "denied")
        #expect(try harness.readJSON("Profiles/web.json")["tags"] == nil)
        // Another region of the same account is another set of resources too.
        let elsewhere = ControlPlaneHarness.caller(region: "eu-west-1")
        #expect(try harness.call("GET", "/trustanchors", caller: elsewhere)["trustAnchors"] == .array([]))
    }

    @Test func aDeniedCallAnswersGenericallyAuditsTheReasonAndWritesNothing() throws {
        let harness = try ControlPlaneHarness(
            authorizer: TestAuthorizer { $0.action == "rolesanywhere:DisableProfile" ? "explicit_deny" : nil })
        let answer = try harness.call("POST", "/profile/\(ARN(profileArn)!.resourceName)/disable")
        #expect(answer.status == 403)
        #expect(answer.errorType == "AccessDeniedException")
        #expect(answer.message == "You are not authorized to perform this operation.")
        #expect(
            answer.audit
                == .init(
                    action: "rolesanywhere:DisableProfile", resource: profileArn, outcome: "denied",
                    reason: "explicit_deny"))
        #expect(try harness.load().profiles[profileArn]?.enabled == true)
        // A denied caller cannot tell a missing resource from a forbidden one.
        let missing = try harness.call("POST", "/profile/00000000-0000-4000-8000-000000000000/disable")
        #expect(missing.status == 403)
    }

    @Test func listsPageThroughMoreThan120ItemsWithoutRepeatOrGap() throws {
        let harness = try ControlPlaneHarness()
        let writer = harness.fixture.writer
        var expected = Set([ARN(profileArn)!.resourceName, ARN(minimalProfileArn)!.resourceName])
        for index in 0..<125 {
            let id = String(format: "%08x-0000-4000-8000-%012x", index, index)
            expected.insert(id)
            try writer.writeProfile(
                ProfileDocument(
                    name: "p\(index)", arn: "arn:aws:rolesanywhere:us-east-1:123456789012:profile/\(id)",
                    roleArns: [roleArn]))
        }
        var seen: [String] = []
        var token: String?
        var pages = 0
        repeat {
            var query = "pageSize=40"
            if let token {
                query += "&nextToken=" + token.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            }
            let page = try harness.call("GET", "/profiles", query: query)
            #expect(page.status == 200)
            let items = page["profiles"]?.arrayValue ?? []
            #expect(items.count <= 40)
            seen += items.compactMap { $0["profileId"]?.stringValue }
            token = page["nextToken"]?.stringValue
            pages += 1
        } while token != nil && pages < 10
        #expect(pages == 4)
        #expect(seen.count == 127)
        #expect(Set(seen) == expected)
        // The default page is 50.
        #expect(try harness.call("GET", "/profiles")["profiles"]?.arrayValue.count == 50)
    }
}
