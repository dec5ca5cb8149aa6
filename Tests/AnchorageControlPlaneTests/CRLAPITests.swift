import AnchorageConfig
import AnchorageConfigFixtures
import AnchorageCore
import AnchorageCrypto
import Foundation
import Testing

@Suite struct CRLAPITests {
    func crlBase64(_ harness: ControlPlaneHarness, revoking serial: [UInt8]) throws -> String {
        let pki = harness.fixture.pki
        return Data(try DER.crl(issuer: pki.ca, signingKey: pki.caKey, revokedSerials: [serial])).base64EncodedString()
    }

    @Test func importDisableEnableDeleteMoveTheCRLInAndOutOfForce() throws {
        let harness = try ControlPlaneHarness()
        let imported = try harness.call(
            "POST", "/crls",
            .object([
                "name": .string("main crl"), "crlData": .string(try crlBase64(harness, revoking: [0x01, 0x23])),
                "trustAnchorArn": .string(anchorArn), "enabled": .bool(true),
            ]))
        #expect(imported.status == 201)
        let crl = try #require(imported["crl"])
        let id = try #require(crl["crlId"]?.stringValue)
        #expect(crl["crlArn"] == .string("arn:aws:rolesanywhere:us-east-1:123456789012:crl/\(id)"))
        #expect(crl["trustAnchorArn"] == .string(anchorArn))
        #expect(crl["enabled"] == .bool(true))
        let directory = harness.fixture.url("PKI/trust-anchors/main/crls")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == [
                "main-crl.json", "main-crl.pem",
            ])
        #expect(try harness.load().trustAnchors[anchorArn]?.revocationLists.count == 1)

        let disabled = try harness.call("POST", "/crl/\(id)/disable")
        #expect(disabled["crl"]?["enabled"] == .bool(false))
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == [
                "main-crl.json", "main-crl.pem.disabled",
            ])
        #expect(try harness.load().trustAnchors[anchorArn]?.revocationLists.isEmpty == true)
        #expect(try harness.call("GET", "/crl/\(id)")["crl"]?["enabled"] == .bool(false))

        #expect(try harness.call("POST", "/crl/\(id)/enable")["crl"]?["enabled"] == .bool(true))
        #expect(try harness.load().trustAnchors[anchorArn]?.revocationLists.count == 1)

        let renamed = try harness.call("PATCH", "/crl/\(id)", .object(["name": .string("renamed")]))
        #expect(renamed["crl"]?["name"] == .string("renamed"))
        #expect(renamed["crl"]?["crlId"] == .string(id))

        #expect(try harness.call("DELETE", "/crl/\(id)").status == 200)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
        #expect(try harness.call("GET", "/crl/\(id)").status == 404)
    }

    @Test func aCRLTheCLIImportedHasAStableDerivedId() throws {
        let harness = try ControlPlaneHarness()
        let pki = harness.fixture.pki
        try harness.fixture.write(
            "PKI/trust-anchors/main/crls/root.pem",
            DER.pem(try DER.crl(issuer: pki.ca, signingKey: pki.caKey), label: "X509 CRL"))
        let first = try harness.call("GET", "/crls")["crls"]?.arrayValue ?? []
        #expect(first.count == 1)
        let id = try #require(first.first?["crlId"]?.stringValue)
        #expect(first.first?["name"] == .string("root"))
        #expect(try harness.call("GET", "/crl/\(id)")["crl"]?["crlId"] == .string(id))
        // Disabling it writes a sidecar with that same ARN.
        #expect(try harness.call("POST", "/crl/\(id)/disable").status == 200)
        #expect(try harness.readJSON("PKI/trust-anchors/main/crls/root.json")["crlArn"] == first.first?["crlArn"])
        #expect(try harness.call("GET", "/crls")["crls"]?.arrayValue.first?["crlId"] == .string(id))
    }

    @Test func malformedImportsNameTheField() throws {
        let harness = try ControlPlaneHarness()
        let good = try crlBase64(harness, revoking: [0x05])
        for (body, field) in [
            (JSONValue.object(["name": .string("x"), "trustAnchorArn": .string(anchorArn)]), "crlData"),
            (
                .object(["name": .string("x"), "crlData": .string("%%%"), "trustAnchorArn": .string(anchorArn)]),
                "crlData"
            ),
            (
                .object(["name": .string("x"), "crlData": .string("aGVsbG8="), "trustAnchorArn": .string(anchorArn)]),
                "crlData"
            ),
            (.object(["name": .string("x"), "crlData": .string(good)]), "trustAnchorArn"),
            (
                .object(["name": .string("x"), "crlData": .string(good), "trustAnchorArn": .string(profileArn)]),
                "trustAnchorArn"
            ),
            (
                .object([
                    "name": .string("x"), "crlData": .string(good),
                    "trustAnchorArn": .string(
                        "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/00000000-0000-0000-0000-000000000000"
                    ),
                ]), "trustAnchorArn"
            ),
        ] {
            let answer = try harness.call("POST", "/crls", body)
            #expect(answer.status == 400)
            #expect(answer.message.hasPrefix(field + ":"), "\(answer.message)")
        }
        // Signed by another CA than the anchor it names: the loader refuses it, the API says so.
        let pki = harness.fixture.pki
        let forged = Data(try DER.crl(issuer: pki.ca, signingKey: pki.otherCAKey)).base64EncodedString()
        let refused = try harness.call(
            "POST", "/crls",
            .object(["name": .string("x"), "crlData": .string(forged), "trustAnchorArn": .string(anchorArn)]))
        #expect(refused.status == 400)
        #expect(refused.message.hasPrefix("crlData:"))
        #expect(!FileManager.default.fileExists(atPath: harness.fixture.url("PKI/trust-anchors/main/crls")))
    }
}
