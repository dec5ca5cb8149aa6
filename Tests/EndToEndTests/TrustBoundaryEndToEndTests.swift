import AnchorageTestSupport
import Foundation
import Testing

/// The trust boundary end to end: a real server, requests signed by `raw_client.py`, the audit log, STS through
/// botocore, `anchorage revoke`, `explain` and `validate`. Each attack beside its honest neighbour.
///
/// The configuration adds to the usual one: a trust anchor of another account (`foreign`, 111111111111) and
/// one of another region (`west`, us-west-2), both over root-rsa; a `tag-only` role whose trust policy holds
/// only `StringEquals aws:PrincipalTag/x509Subject/OU = web` (AWS's documented pattern); an `admin` role for
/// `CN = K8s-admin`; and a `west` profile in us-west-2.
@Suite("Trust boundary end to end", .serialized)
struct TrustBoundaryEndToEndTests {
    static let foreignAnchor =
        "arn:aws:rolesanywhere:us-east-1:111111111111:trust-anchor/7d4f8513-a09e-4ea1-8d88-3b9c7f6e0a54"
    static let westAnchor =
        "arn:aws:rolesanywhere:us-west-2:123456789012:trust-anchor/8e5a9624-b1af-4fb2-9e99-4cad8a7f1b65"
    static let westProfile = "arn:aws:rolesanywhere:us-west-2:123456789012:profile/bc314d6e-4f70-4182-9dce-3f4a5b6c7d8e"
    static let tagOnly = ARNs.role("tag-only")
    static let admin = ARNs.role("admin")

    actor Setup {
        static let shared = Setup()
        private var context: SharedServer.Context?

        func context() async throws -> SharedServer.Context {
            if let context { return context }
            let pki = try FixturePKI.shared()
            let configuration = try await TestConfiguration.write(pki: pki)
            // Through the admin commands, as an operator would add them.
            let commands: [[String]] = [
                [
                    "trust-anchor", "add", "foreign", "--certificates", pki.certificate("root-rsa").path, "--arn",
                    foreignAnchor,
                ],
                [
                    "trust-anchor", "add", "west", "--certificates", pki.certificate("root-rsa").path, "--arn",
                    westAnchor,
                ],
                [
                    "role", "create", "tag-only", "--account-id", ARNs.account,
                    "--condition", "StringEquals:aws:PrincipalTag/x509Subject/OU=web",
                ],
                [
                    "role", "create", "admin", "--account-id", ARNs.account,
                    "--condition", "StringEquals:aws:PrincipalTag/x509Subject/CN=K8s-admin",
                ],
                ["profile", "add-role", "web", tagOnly],
                ["profile", "add-role", "web", admin],
                ["profile", "create", "west", "--arn", westProfile, "--role", tagOnly],
            ]
            for command in commands {
                let result = try await anchorageCommand(command, configuration: configuration)
                guard result.status == 0 else { throw TestFailure(result.summary) }
            }
            let started = try await OwnServer.start(configuration: configuration)
            context = started
            return started
        }
    }

    /// The response, and its audit line's `reason` (nil for an issued session).
    static func send(_ request: RawRequest, _ context: SharedServer.Context) async throws -> (RawResponse, String?) {
        let response = try await Clients.raw(request, context)
        let requestId = try #require(response.requestId, "no x-amzn-RequestId: \(response.output)")
        let audit = try #require(try context.server.auditEntry(requestId: requestId), "no audit line for \(requestId)")
        return (response, audit["reason"]?.string)
    }

    @Test("an anchor of another account gets no role of this one")
    func crossAccount() async throws {
        let context = try await Setup.shared.context()
        let (attack, reason) = try await Self.send(
            RawRequest(leaf: "leaf-ec-p256", roleArn: Self.tagOnly, trustAnchorArn: Self.foreignAnchor), context)
        #expect(attack.status == 403)
        #expect(attack.errorType?.hasPrefix("AccessDeniedException") == true)
        #expect(attack.body.contains("Access denied") && !attack.body.contains("account"), "\(attack.body)")
        #expect(reason == "account_mismatch")
        let (honest, _) = try await Self.send(RawRequest(leaf: "leaf-ec-p256", roleArn: Self.tagOnly), context)
        #expect(honest.status == 201, "\(honest.body)")

        // explain names the same reason.
        let explained = try await anchorageCommand(
            [
                "explain", "--certificate", context.pki.certificate("leaf-ec-p256").path, "--trust-anchor-arn",
                Self.foreignAnchor, "--profile-arn", ARNs.webProfile, "--role-arn", Self.tagOnly, "--json",
            ], configuration: context.configuration)
        #expect(explained.stdout.contains("account_mismatch"), "\(explained.summary)")
    }

    @Test("an anchor of another region gets no profile of this one")
    func crossRegion() async throws {
        let context = try await Setup.shared.context()
        let (attack, reason) = try await Self.send(
            RawRequest(
                leaf: "leaf-ec-p256", roleArn: Self.tagOnly, trustAnchorArn: Self.westAnchor,
                arguments: ["--region", "us-west-2"]), context)
        #expect(attack.status == 403)
        #expect(reason == "region_mismatch")
        let (honest, _) = try await Self.send(
            RawRequest(
                leaf: "leaf-ec-p256", profileArn: Self.westProfile, roleArn: Self.tagOnly,
                trustAnchorArn: Self.westAnchor, arguments: ["--region", "us-west-2"]), context)
        #expect(honest.status == 201, "\(honest.body)")
    }

    @Test("a look-alike common name gets no admin role")
    func lookAlikeSubject() async throws {
        let context = try await Setup.shared.context()
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
            "anchorage-lookalike-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // Two leaves under root-rsa: the real name and the same name with KELVIN SIGN for its K.
        func issue(_ name: String, cn: String) async throws -> (certificate: String, key: String) {
            let key = directory.appendingPathComponent("\(name).key").path
            let csr = directory.appendingPathComponent("\(name).csr").path
            let certificate = directory.appendingPathComponent("\(name).pem").path
            let extensions = directory.appendingPathComponent("\(name).ext").path
            try "keyUsage = critical, digitalSignature\nbasicConstraints = critical, CA:FALSE\n".write(
                toFile: extensions, atomically: true, encoding: .utf8)
            for arguments in [
                ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key],
                ["req", "-new", "-utf8", "-key", key, "-subj", "/O=Anchorage Tests/OU=web/CN=\(cn)", "-out", csr],
                [
                    "x509", "-req", "-in", csr, "-CA", context.pki.certificate("root-rsa").path, "-CAkey",
                    context.pki.privateKey("root-rsa").path, "-set_serial", "0x\(name == "real" ? "5a01" : "5a02")",
                    "-days", "2", "-sha256", "-extfile", extensions, "-out", certificate,
                ],
            ] {
                let result = try await runProcess("/usr/bin/env", ["openssl"] + arguments)
                guard result.status == 0 else { throw TestFailure("openssl \(arguments[0]): \(result.summary)") }
            }
            return (certificate, key)
        }
        for (name, cn, expected) in [("real", "K8s-admin", 201), ("kelvin", "\u{212A}8s-admin", 403)] {
            let files = try await issue(name, cn: cn)
            let result = try await Clients.python(
                "raw_client.py",
                [
                    "--endpoint", context.server.endpoint, "--ca-bundle", context.pki.caBundle.path, "--certificate",
                    files.certificate, "--private-key", files.key, "--profile-arn", ARNs.webProfile, "--role-arn",
                    Self.admin, "--trust-anchor-arn", ARNs.rsaRootAnchor,
                ], caBundle: context.pki.caBundle)
            let output = try JSONValue.parse(String(try #require(result.stdout.split(separator: "\n").last)))
            #expect(output["status"]?.number == Double(expected), "CN \(cn): \(result.summary)")
            if expected == 403 {
                let requestId = try #require(output["requestId"]?.string)
                #expect(
                    try context.server.auditEntry(requestId: requestId)?["reason"]?.string == "trust_policy_not_allowed"
                )
            }
        }
    }

    @Test("revoking the issuing CA revokes its leaves and their sessions")
    func revokedIntermediate() async throws {
        let context = try await Setup.shared.context()
        let underIntermediate = RawRequest(leaf: "leaf-ec-p256-int", chain: ["intermediate-ec"])
        let (before, _) = try await Self.send(underIntermediate, context)
        #expect(before.status == 201, "\(before.body)")
        let credentials = try #require(before.json?["credentialSet"]?[0]?["credentials"])
        let session = SessionCredentials(
            accessKeyId: try #require(credentials["accessKeyId"]?.string),
            secretAccessKey: try #require(credentials["secretAccessKey"]?.string),
            sessionToken: try #require(credentials["sessionToken"]?.string))
        #expect(try await STSClients.script("boto3", session, context)["ok"]?.bool == true)

        let serial = try await STSClients.opensslSerial("intermediate-ec", context.pki)
        let revoke = try await anchorageCommand(
            ["revoke", "--serial", serial, "--reason", "issuing CA compromised"], configuration: context.configuration)
        #expect(revoke.status == 0, "\(revoke.summary)")

        let refused = try await poll(for: 10) { () -> (RawResponse, String?)? in
            let answer = try await Self.send(underIntermediate, context)
            return answer.0.status == 201 ? nil : answer
        }
        let (after, reason) = try #require(refused, "a leaf under the revoked CA still gets credentials")
        #expect(after.status == 403)
        #expect(reason == "certificate_revoked_by_administrator")
        let sts = try await STSClients.script("boto3", session, context)
        #expect(sts["ok"]?.bool != true, "the session issued through the revoked CA still passes STS: \(sts)")

        // The honest neighbour: a leaf of the same root, not under the revoked CA.
        let (honest, _) = try await Self.send(RawRequest(leaf: "leaf-ec-p256"), context)
        #expect(honest.status == 201, "\(honest.body)")
    }

    @Test("validate refuses NotPrincipal in a trust policy, naming the file and the JSON path")
    func notPrincipal() async throws {
        let configuration = try await TestConfiguration.write(pki: try FixturePKI.shared())
        try configuration.editJSON("Profiles/roles/web-reader.json") { role in
            guard var policy = role["AssumeRolePolicyDocument"] as? [String: Any],
                var statements = policy["Statement"] as? [[String: Any]]
            else { return }
            statements[0]["NotPrincipal"] = statements[0].removeValue(forKey: "Principal")
            policy["Statement"] = statements
            role["AssumeRolePolicyDocument"] = policy
        }
        let result = try await anchorageCommand(["validate"], configuration: configuration)
        #expect(result.status != 0)
        #expect(result.stderr.contains("roles/web-reader.json"), "\(result.summary)")
        #expect(result.stderr.contains("$.AssumeRolePolicyDocument.Statement[0].NotPrincipal"), "\(result.summary)")
    }
}
