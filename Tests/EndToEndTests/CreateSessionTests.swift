import AnchorageTestSupport
import Foundation
import Testing

/// Successful CreateSession calls through the real `anchorage serve` with real clients.
@Suite("CreateSession end to end: credentials")
struct CreateSessionTests {
    struct PythonCase: Sendable, CustomTestStringConvertible {
        let leaf: String
        let chain: String?
        var testDescription: String { chain == nil ? leaf : "\(leaf) + \(chain!)" }
    }

    static let pythonCases: [PythonCase] = [
        PythonCase(leaf: "leaf-ec-p256", chain: nil),
        PythonCase(leaf: "leaf-rsa-2048", chain: nil),
        PythonCase(leaf: "leaf-ec-p256-int", chain: "chain-intermediate"),
        PythonCase(leaf: "leaf-rsa-2048-int", chain: "chain-intermediate"),
    ]

    @Test("the published Python client obtains credentials", arguments: pythonCases)
    func pythonClientObtainsCredentials(_ c: PythonCase) async throws {
        let context = try await SharedServer.shared.context()
        let out = try await Clients.pythonSession(leaf: c.leaf, chain: c.chain, context)
        #expect(out["ok"]?.bool == true, "client output: \(out)")
        let akid = try #require(out["accessKeyId"]?.string)
        #expect(akid.wholeMatch(of: /ASIA[A-Z2-7]{16}/) != nil, "accessKeyId \(akid)")
        #expect(out["secretAccessKey"]?.string?.count == 40)
        let token = out["sessionToken"]?.string ?? ""
        #expect(!token.isEmpty, "sessionToken must not be empty")
        let expiration = try #require(out["expiration"]?.string.flatMap(parseISO8601), "expiration in \(out)")
        let remaining = expiration.timeIntervalSinceNow
        #expect(remaining > 3300 && remaining < 3700, "expiration \(expiration) should be ~1 h away")
    }

    @Test("the published Python client reports 403 for a certificate from an unknown CA")
    func pythonClientDeniedForUnknownCA() async throws {
        let context = try await SharedServer.shared.context()
        let out = try await Clients.pythonSession(leaf: "leaf-unknown-ca", context)
        #expect(out["ok"]?.bool == false)
        #expect(out["error"]?.string == "CredentialsRetrievalError")
        #expect(out["status"]?.number == 403)
        #expect(out["message"]?.string == "Untrusted Signing Certificate")
    }

    @Test("a Go-helper shaped request gets 201 and the exact CreateSession response shape")
    func rawClientExactResponseShape() async throws {
        let context = try await SharedServer.shared.context()
        let r = try await Clients.raw(RawRequest(leaf: "leaf-ec-p256"), context)
        #expect(r.status == 201, "response: \(r.output)")
        let requestId = try #require(r.requestId, "x-amzn-RequestId header missing: \(r.headers)")
        #expect(!requestId.isEmpty)
        #expect(r.headers["content-type"]?.hasPrefix("application/json") == true)
        let json = try #require(r.json)
        #expect(json.keys == ["credentialSet", "subjectArn"])
        #expect(json["credentialSet"]?.array?.count == 1)
        let set = try #require(json["credentialSet"]?[0])
        #expect(set.keys == ["assumedRoleUser", "credentials", "packedPolicySize", "roleArn", "sourceIdentity"])

        let session = try context.pki.serialHex("leaf-ec-p256")
        let user = try #require(set["assumedRoleUser"])
        #expect(user.keys == ["arn", "assumedRoleId"])
        #expect(user["arn"]?.string == "arn:aws:sts::123456789012:assumed-role/web-reader/\(session)")
        let roleId = try #require(user["assumedRoleId"]?.string)
        #expect(roleId.hasPrefix("AROA") && roleId.hasSuffix(":\(session)"), "assumedRoleId \(roleId)")

        let creds = try #require(set["credentials"])
        #expect(creds.keys == ["accessKeyId", "expiration", "secretAccessKey", "sessionToken"])
        let akid = try #require(creds["accessKeyId"]?.string)
        #expect(akid.wholeMatch(of: /ASIA[A-Z2-7]{16}/) != nil, "accessKeyId \(akid)")
        #expect(creds["secretAccessKey"]?.string?.count == 40)
        let token = creds["sessionToken"]?.string ?? ""
        #expect(!token.isEmpty, "sessionToken must not be empty")
        let expiration = try #require(creds["expiration"]?.string)
        #expect(expiration.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z/) != nil, "expiration \(expiration)")
        let remaining = parseISO8601(expiration)?.timeIntervalSinceNow ?? 0
        #expect(remaining > 3500 && remaining < 3700)

        #expect(set["packedPolicySize"]?.number != nil)
        #expect(set["roleArn"]?.string == ARNs.webReader)
        #expect(set["sourceIdentity"]?.string == "CN=leaf-ec-p256")
        let subjectArn = try #require(json["subjectArn"]?.string)
        #expect(subjectArn.hasPrefix("arn:aws:rolesanywhere:us-east-1:123456789012:subject/"), "\(subjectArn)")
    }

    struct RawCase: Sendable, CustomTestStringConvertible {
        let name: String
        let request: RawRequest
        var testDescription: String { name }
    }

    static let rawCases: [RawCase] = [
        RawCase(name: "EC P-384 leaf (ECDSA with SHA-256)", request: RawRequest(leaf: "leaf-ec-p384")),
        RawCase(name: "EC P-521 leaf (ECDSA with SHA-256)", request: RawRequest(leaf: "leaf-ec-p521")),
        RawCase(
            name: "RSA leaf via intermediate",
            request: RawRequest(leaf: "leaf-rsa-2048-int", chain: ["chain-intermediate"])),
        RawCase(
            name: "chain that also carries the anchor",
            request: RawRequest(leaf: "leaf-ec-p256-int", chain: ["chain-intermediate-root"])),
        RawCase(
            name: "ARNs in the body, Content-Length framing, no SDK headers",
            request: RawRequest(
                leaf: "leaf-ec-p256",
                arguments: [
                    "--body-arns", "--content-length", "--no-sdk-headers",
                    "--content-type", "application/x-amz-json-1.0",
                ])),
        RawCase(
            name: "durationSeconds omitted (profile default)",
            request: RawRequest(leaf: "leaf-ec-p256", arguments: ["--duration", "-1"])),
    ]

    @Test("other accepted request shapes and key types", arguments: rawCases)
    func rawClientAcceptedShapes(_ c: RawCase) async throws {
        let context = try await SharedServer.shared.context()
        let r = try await Clients.raw(c.request, context)
        #expect(r.status == 201, "response: \(r.output)")
        #expect(r.json?["credentialSet"]?[0]?["sourceIdentity"]?.string == "CN=\(c.request.leaf)")
    }

    @Test("roleSessionName is honoured when the profile accepts it")
    func roleSessionNameAccepted() async throws {
        let context = try await SharedServer.shared.context()
        let r = try await Clients.raw(
            RawRequest(
                leaf: "leaf-ec-p256", profileArn: ARNs.sessionNameProfile,
                arguments: ["--role-session-name", "e2e-session"]), context)
        #expect(r.status == 201, "response: \(r.output)")
        let user = r.json?["credentialSet"]?[0]?["assumedRoleUser"]
        #expect(user?["arn"]?.string == "arn:aws:sts::123456789012:assumed-role/web-reader/e2e-session")
        #expect(user?["assumedRoleId"]?.string?.hasSuffix(":e2e-session") == true)
    }
}
