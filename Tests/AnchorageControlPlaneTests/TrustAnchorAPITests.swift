import AnchorageConfig
import AnchorageConfigFixtures
import AnchorageCore
import Foundation
import Testing

@Suite struct TrustAnchorAPITests {
    @Test func theWholeLifecycleWritesTheFilesTheLoaderServes() throws {
        let harness = try ControlPlaneHarness()
        let created = try harness.createTrustAnchor(name: "lab anchor")
        #expect(created.status == 201)
        let anchor = try #require(created["trustAnchor"])
        let id = try #require(anchor["trustAnchorId"]?.stringValue)
        let arn = try #require(anchor["trustAnchorArn"]?.stringValue)
        #expect(arn == "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/\(id)")
        #expect(anchor["name"] == .string("lab anchor"))
        #expect(anchor["createdAt"] == .string(UTCTimestamp.iso8601(testNow)))
        #expect(anchor["source"]?["sourceType"] == .string("CERTIFICATE_BUNDLE"))
        #expect(anchor["notificationSettings"]?.arrayValue.count == 2)
        #expect(created.audit.action == "rolesanywhere:CreateTrustAnchor")
        #expect(created.audit.resource == arn)
        #expect(created.audit.outcome == "allowed")

        // The files: `lab-anchor/` with the API's members in anchor.json; the loader serves it enabled.
        let document = try harness.readJSON("PKI/trust-anchors/lab-anchor/anchor.json")
        #expect(document["trustAnchorArn"] == .string(arn))
        #expect(document["name"] == .string("lab anchor"))
        #expect(document["createdAt"] == .string(UTCTimestamp.iso8601(testNow)))
        #expect(try harness.load().trustAnchors[arn]?.enabled == true)

        let got = try harness.call("GET", "/trustanchor/\(id)")
        #expect(got.status == 200)
        #expect(got["trustAnchor"] == anchor)

        let renamed = try harness.call("PATCH", "/trustanchor/\(id)", .object(["name": .string("renamed")]))
        #expect(renamed["trustAnchor"]?["name"] == .string("renamed"))

        let disabled = try harness.call("POST", "/trustanchor/\(id)/disable")
        #expect(disabled["trustAnchor"]?["enabled"] == .bool(false))
        #expect(try harness.load().trustAnchors[arn]?.enabled == false)
        #expect(try harness.call("POST", "/trustanchor/\(id)/enable")["trustAnchor"]?["enabled"] == .bool(true))

        let deleted = try harness.call("DELETE", "/trustanchor/\(id)")
        #expect(deleted.status == 200)
        #expect(try harness.load().trustAnchors[arn] == nil)
        let gone = try harness.call("GET", "/trustanchor/\(id)")
        #expect(gone.status == 404)
        #expect(gone.errorType == "ResourceNotFoundException")
    }

    @Test func anchorsTheCLIMadeAreListedWithTheUUIDOfTheirARN() throws {
        let harness = try ControlPlaneHarness()
        let listed = try harness.call("GET", "/trustanchors")
        let ids = (listed["trustAnchors"]?.arrayValue ?? []).compactMap { $0["trustAnchorId"]?.stringValue }
        #expect(Set(ids) == Set([ARN(anchorArn)!.resourceName, ARN(secondAnchorArn)!.resourceName]))
        let main = try harness.call("GET", "/trustanchor/\(ARN(anchorArn)!.resourceName)")
        #expect(main["trustAnchor"]?["name"] == .string("main"))
        #expect(main["trustAnchor"]?["createdAt"] == nil)
    }

    @Test(arguments: ["AWS_ACM_PCA", "SELF_SIGNED_REPOSITORY"])
    func awsOnlySourcesAreRefusedByName(_ type: String) throws {
        let harness = try ControlPlaneHarness()
        let answer = try harness.call(
            "POST", "/trustanchors",
            .object([
                "name": .string("pca"),
                "source": .object([
                    "sourceType": .string(type),
                    "sourceData": .object([
                        "acmPcaArn": .string("arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/x")
                    ]),
                ]),
            ]))
        #expect(answer.status == 400)
        #expect(answer.errorType == "ValidationException")
        #expect(answer.message.hasPrefix("source.sourceType: \(type) is not supported"))
        #expect(harness.authorizer.requests.withLock { $0.isEmpty })
    }

    @Test func aCertificateThatIsNotACAIsRefusedByTheLoaderAndNamed() throws {
        let harness = try ControlPlaneHarness()
        let before = try FileManager.default.contentsOfDirectory(atPath: harness.fixture.url("PKI/trust-anchors"))
        let answer = try harness.call(
            "POST", "/trustanchors",
            .object([
                "name": .string("leaf"),
                "source": .object([
                    "sourceType": .string("CERTIFICATE_BUNDLE"),
                    "sourceData": .object(["x509CertificateData": .string(harness.fixture.pki.webLeaf.pemString)]),
                ]),
            ]))
        #expect(answer.status == 400)
        #expect(answer.message.hasPrefix("source.sourceData.x509CertificateData:"))
        #expect(!answer.message.contains(harness.fixture.root))
        let after = try FileManager.default.contentsOfDirectory(atPath: harness.fixture.url("PKI/trust-anchors"))
        #expect(after.sorted() == before.sorted())
    }

    @Test func notificationSettingsAreStoredResetAndCheckedByTheLoader() throws {
        let harness = try ControlPlaneHarness()
        let id = ARN(anchorArn)!.resourceName
        let put = try harness.call(
            "PATCH", "/put-notifications-settings",
            .object([
                "trustAnchorId": .string(id),
                "notificationSettings": .array([
                    .object([
                        "enabled": .bool(false), "event": .string("CA_CERTIFICATE_EXPIRY"), "threshold": .number("10"),
                    ])
                ]),
            ]))
        #expect(put.status == 200)
        let settings = put["trustAnchor"]?["notificationSettings"]
        #expect(
            settings?.arrayValue.first { $0["event"] == .string("CA_CERTIFICATE_EXPIRY") }
                == .object([
                    "enabled": .bool(false), "event": .string("CA_CERTIFICATE_EXPIRY"), "threshold": .number("10"),
                    "channel": .string("ALL"), "configuredBy": .string("123456789012"),
                ]))
        #expect(try harness.readJSON("PKI/trust-anchors/main/anchor.json")["notificationSettings"] != nil)
        _ = try harness.load()

        let reset = try harness.call(
            "PATCH", "/reset-notifications-settings",
            .object([
                "trustAnchorId": .string(id),
                "notificationSettingKeys": .array([.object(["event": .string("CA_CERTIFICATE_EXPIRY")])]),
            ]))
        #expect(
            reset["trustAnchor"]?["notificationSettings"]?.arrayValue.allSatisfy {
                $0["configuredBy"] == .string("rolesanywhere.amazonaws.com") && $0["threshold"] == .number("45")
            } == true)
        #expect(try harness.readJSON("PKI/trust-anchors/main/anchor.json")["notificationSettings"] == nil)

        let bad = try harness.call(
            "PATCH", "/put-notifications-settings",
            .object([
                "trustAnchorId": .string(id),
                "notificationSettings": .array([
                    .object([
                        "enabled": .bool(true), "event": .string("CA_CERTIFICATE_EXPIRY"), "threshold": .number("400"),
                    ])
                ]),
            ]))
        #expect(bad.status == 400)
        #expect(bad.message.hasPrefix("notificationSettings[0].threshold:"))
    }
}

extension JSONValue {
    var arrayValue: [JSONValue] {
        if case .array(let elements) = self { return elements }
        return []
    }
}
