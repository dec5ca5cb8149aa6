import AnchorageTestSupport
import Foundation
import Testing

/// `anchorage explain` against the running server: for the same leaf, chain, ARNs, duration and session name
/// on the same configuration, explain's decision and reason code equal what the server answered and audited.
///
/// The table covers every case of the core denial list that explain can evaluate. Excluded, because explain
/// takes certificates and parameters, not a signed HTTP request (it starts where a verified request would):
/// the signature-level reasons `missing_authentication`, `malformed_authorization`, `unsupported_algorithm`,
/// `credential_scope_mismatch`, `wrong_region`, `date_mismatch`, `clock_skew`, `serial_mismatch`,
/// `key_algorithm_mismatch`, `signature_mismatch`, `unsigned_required_header`; `malformed_certificate` (bytes
/// of `X-Amz-X509` that are not base64/DER — explain reads PEM files, and an unreadable file is an error
/// before any decision); `malformed_request` for a body that is not JSON. `unknown_role` cannot be reached
/// on a configuration that loads (the loader refuses a profile listing an undefined role).
/// `certificate_revoked_by_administrator` (needs `revocations.json`) and `duration_exceeds_role_maximum` (needs a
/// profile asking for more than its role allows) run on a configuration of their own, below.
@Suite("anchorage explain agrees with the server")
struct ExplainTests {
    struct Case: Sendable, CustomTestStringConvertible {
        /// nil: allowed.
        var reason: String?
        var leaf: String
        var chain: [String] = []
        /// Repeat the chain to this many certificates (`raw_client.py --chain-count`).
        var chainCount: Int?
        var trustAnchorArn = ARNs.rsaRootAnchor
        var profileArn = ARNs.webProfile
        var roleArn = ARNs.webReader
        var duration = 3600
        var roleSessionName: String?
        var note = ""
        var testDescription: String { "\(reason ?? "allowed") \(leaf)\(note.isEmpty ? "" : " (\(note))")" }

        var raw: RawRequest {
            var arguments = ["--duration", String(duration)]
            if let chainCount { arguments += ["--chain-count", String(chainCount)] }
            if let roleSessionName { arguments += ["--role-session-name", roleSessionName] }
            return RawRequest(
                leaf: leaf, chain: chain, profileArn: profileArn, roleArn: roleArn, trustAnchorArn: trustAnchorArn,
                arguments: arguments)
        }
    }

    static let unknownAnchor = ARNs.trustAnchor("00000000-0000-4000-8000-000000000000")
    static let unknownProfile = ARNs.profile("00000000-0000-4000-8000-000000000001")

    static let cases: [Case] = [
        // allowed
        Case(reason: nil, leaf: "leaf-ec-p256"),
        Case(reason: nil, leaf: "leaf-rsa-2048", duration: 900),
        Case(reason: nil, leaf: "leaf-ec-p256-int", chain: ["chain-intermediate"], note: "intermediate in the chain"),
        Case(
            reason: nil, leaf: "leaf-rsa-2048-int", chain: ["chain-intermediate-root"], note: "chain carries the anchor"
        ),
        Case(
            reason: nil, leaf: "leaf-ec-p256", profileArn: ARNs.sessionNameProfile, roleSessionName: "my-session",
            note: "roleSessionName accepted"),
        // certificate and path
        Case(reason: "certificate_expired", leaf: "leaf-expired"),
        Case(reason: "certificate_not_yet_valid", leaf: "leaf-not-yet-valid"),
        Case(reason: "untrusted_certificate", leaf: "leaf-unknown-ca", note: "unknown CA"),
        Case(reason: "untrusted_certificate", leaf: "leaf-ec-p256-int", note: "intermediate missing"),
        Case(
            reason: "untrusted_certificate", leaf: "leaf-ec-p256", trustAnchorArn: ARNs.ecRootAnchor,
            note: "another anchor"),
        Case(reason: "leaf_is_ca", leaf: "leaf-ca"),
        Case(reason: "leaf_missing_digital_signature", leaf: "leaf-no-digitalsig"),
        Case(reason: "weak_signature_algorithm", leaf: "leaf-sha1"),
        Case(reason: "weak_key", leaf: "leaf-rsa-1024"),
        Case(reason: "leaf_not_v3", leaf: "leaf-v1"),
        Case(reason: "chain_too_long", leaf: "leaf-ec-p256-int", chain: ["chain-intermediate"], chainCount: 6),
        // CRL
        Case(reason: "certificate_revoked", leaf: "leaf-revoked"),
        // anchor
        Case(reason: "unknown_trust_anchor", leaf: "leaf-ec-p256", trustAnchorArn: unknownAnchor),
        Case(reason: "trust_anchor_disabled", leaf: "leaf-ec-p256", trustAnchorArn: ARNs.disabledAnchor),
        // profile and role
        Case(reason: "unknown_profile", leaf: "leaf-ec-p256", profileArn: unknownProfile),
        Case(reason: "profile_disabled", leaf: "leaf-ec-p256", profileArn: ARNs.disabledProfile),
        Case(reason: "role_not_in_profile", leaf: "leaf-ec-p256", roleArn: ARNs.notInProfile),
        // trust policy
        Case(reason: "trust_policy_not_allowed", leaf: "leaf-ec-p256", roleArn: ARNs.opsOnly, note: "OU is not ops"),
        Case(reason: "trust_policy_not_allowed", leaf: "leaf-multi-ou", note: "multi-valued OU is not web"),
        Case(reason: "trust_policy_denied", leaf: "leaf-ec-p256", roleArn: ARNs.denied, note: "explicit Deny"),
        // duration
        Case(reason: "invalid_duration", leaf: "leaf-ec-p256", duration: 100),
        Case(reason: nil, leaf: "leaf-ec-p256", duration: 7200, note: "min(profile 3600, 7200) within the role's 3600"),
        // roleSessionName
        Case(reason: "role_session_name_not_allowed", leaf: "leaf-ec-p256", roleSessionName: "my-session"),
        Case(
            reason: "malformed_request", leaf: "leaf-ec-p256", profileArn: ARNs.sessionNameProfile,
            roleSessionName: "x", note: "roleSessionName too short"),
    ]

    /// `anchorage explain` with the case's inputs; `extra` adds flags (`--json`, `--at`).
    static func explain(_ c: Case, _ context: SharedServer.Context, _ extra: [String]) async throws -> ProcessResult {
        var args = [
            "explain", "--certificate", context.pki.certificate(c.leaf).path,
            "--trust-anchor-arn", c.trustAnchorArn, "--profile-arn", c.profileArn, "--role-arn", c.roleArn,
            "--duration", String(c.duration),
        ]
        if !c.chain.isEmpty {
            var pem = try c.chain.map { try String(contentsOf: context.pki.certificate($0), encoding: .utf8) }
            if let count = c.chainCount { pem = (0..<count).map { pem[$0 % pem.count] } }
            let file = URL(fileURLWithPath: NSTemporaryDirectory())
                .appendingPathComponent("anchorage-explain-chain-\(UUID().uuidString).pem")
            try pem.joined().write(to: file, atomically: true, encoding: .utf8)
            args += ["--intermediates", file.path]
        }
        if let name = c.roleSessionName { args += ["--role-session-name", name] }
        return try await anchorageCommand(args + extra, configuration: context.configuration)
    }

    @Test("explain --json: same decision and reason code as the server's answer and audit line", arguments: cases)
    func agreesWithServer(_ c: Case) async throws {
        let context = try await SharedServer.shared.context()
        let response = try await Clients.raw(c.raw, context)
        let requestId = try #require(response.requestId, "no x-amzn-RequestId: \(response.output)")
        let audit = try #require(try context.server.auditEntry(requestId: requestId), "no audit line \(requestId)")
        // The table itself is right about the server …
        #expect(audit["outcome"]?.string == (c.reason == nil ? "allowed" : "denied"), "audit: \(audit)")
        #expect(audit["reason"]?.string == c.reason, "audit: \(audit)")
        #expect((response.status == 201) == (c.reason == nil), "\(response.output)")

        // … and explain says what the server did.
        let result = try await Self.explain(c, context, ["--json"])
        let document = try JSONValue.parse(result.stdout)
        #expect(document["decision"]?.string == audit["outcome"]?.string, "\(result.summary)")
        #expect(document["reason"]?.string == audit["reason"]?.string, "\(result.summary)")
        #expect(result.status == (c.reason == nil ? 0 : 1), "\(result.summary)")
        #expect(document["steps"]?.array?.last?["check"]?.string == "decision", "\(result.summary)")
    }

    @Test("own configuration: certificate_revoked_by_administrator and duration_exceeds_role_maximum agree")
    func ownConfigurationCases() async throws {
        // `session-name` asks for 7200 s while its role allows 3600; leaf-rsa-2048 is revoked by `anchorage revoke`.
        let configuration = try await TestConfiguration.write(pki: try FixturePKI.shared())
        try configuration.editJSON("Profiles/session-name.json") { $0["durationSeconds"] = 7200 }
        let context = try await OwnServer.start(configuration: configuration)
        let revoked = Case(reason: "certificate_revoked_by_administrator", leaf: "leaf-rsa-2048")
        let serial = try await STSClients.opensslSerial(revoked.leaf, context.pki)
        let revoke = try await anchorageCommand(["revoke", "--serial", serial], configuration: configuration)
        try #require(revoke.status == 0, "\(revoke.summary)")
        let inForce = try await poll(for: 3) {
            let r = try await Clients.raw(revoked.raw, context)
            return r.status == 403 ? r : nil
        }
        try #require(inForce != nil, "revocation not in force within 3 s")

        for c in [
            revoked,
            Case(
                reason: "duration_exceeds_role_maximum", leaf: "leaf-ec-p256", profileArn: ARNs.sessionNameProfile,
                duration: 7200),
            Case(reason: nil, leaf: "leaf-ec-p256", profileArn: ARNs.sessionNameProfile, duration: 3600),
        ] {
            let response = try await Clients.raw(c.raw, context)
            let requestId = try #require(response.requestId)
            let audit = try #require(try context.server.auditEntry(requestId: requestId))
            #expect(audit["reason"]?.string == c.reason, "\(c.testDescription): audit \(audit)")
            let result = try await Self.explain(c, context, ["--json"])
            let document = try JSONValue.parse(result.stdout)
            #expect(document["decision"]?.string == audit["outcome"]?.string, "\(c.testDescription): \(result.summary)")
            #expect(document["reason"]?.string == audit["reason"]?.string, "\(c.testDescription): \(result.summary)")
            #expect(result.status == (c.reason == nil ? 0 : 1))
        }
        _ = await context.server.stop()
    }

    @Test("exit status: 0 allowed, 1 denied, 1 configuration does not load, 64 usage errors")
    func exitStatus() async throws {
        let context = try await SharedServer.shared.context()
        let allowed = try await Self.explain(Self.cases[0], context, [])
        #expect(allowed.status == 0, "\(allowed.summary)")
        #expect(allowed.stdout.contains("ALLOWED"), "\(allowed.summary)")
        let denied = try await Self.explain(Case(reason: "leaf_is_ca", leaf: "leaf-ca"), context, [])
        #expect(denied.status == 1, "\(denied.summary)")

        let missing = try await anchorageCommand(
            ["explain", "--certificate", context.pki.certificate("leaf-ec-p256").path],
            configuration: context.configuration)
        #expect(missing.status == 64, "missing ARNs: \(missing.summary)")
        #expect(missing.stderr.contains("usage:"), "\(missing.summary)")
        for bad in [["--bogus"], ["--at", "yesterday"], ["--duration", "an hour"]] {
            let r = try await Self.explain(Self.cases[0], context, bad)
            #expect(r.status == 64, "\(bad): \(r.summary)")
        }

        // A configuration that does not load: 1, with the loader's error.
        let broken = try context.configuration.copy()
        try broken.editJSON("Profiles/roles/web-reader.json") { $0["Arnn"] = "x" }
        let r = try await anchorageCommand(
            [
                "explain", "--certificate", context.pki.certificate("leaf-ec-p256").path,
                "--trust-anchor-arn", ARNs.rsaRootAnchor, "--profile-arn", ARNs.webProfile, "--role-arn",
                ARNs.webReader,
            ],
            configuration: broken)
        #expect(r.status == 1, "\(r.summary)")
        #expect(r.stderr.contains("Arnn"), "\(r.summary)")
    }

    @Test("--at in the past or future flips a validity decision")
    func atFlipsExpiry() async throws {
        let context = try await SharedServer.shared.context()
        // leaf-not-yet-valid: 2044-01-01 to 2045-01-01 (its CA until 2046).
        let notYet = Case(reason: "certificate_not_yet_valid", leaf: "leaf-not-yet-valid")
        let now = try JSONValue.parse(try await Self.explain(notYet, context, ["--json"]).stdout)
        #expect(now["reason"]?.string == "certificate_not_yet_valid")
        let later = try await Self.explain(notYet, context, ["--json", "--at", "2044-06-01T00:00:00Z"])
        #expect(later.status == 0, "\(later.summary)")
        #expect(try JSONValue.parse(later.stdout)["at"]?.string == "2044-06-01T00:00:00Z")

        // leaf-ec-p256: valid until 2045-01-01.
        let good = Self.cases[0]
        let future = try await Self.explain(good, context, ["--json", "--at", "2045-06-01T00:00:00Z"])
        #expect(future.status == 1, "\(future.summary)")
        #expect(try JSONValue.parse(future.stdout)["reason"]?.string == "certificate_expired", "\(future.summary)")
        let past = try await Self.explain(good, context, ["--json", "--at", "2024-06-01T00:00:00Z"])
        #expect(try JSONValue.parse(past.stdout)["reason"]?.string == "certificate_not_yet_valid", "\(past.summary)")
    }

    @Test("text output: the path built, the condition values compared, and the final reason")
    func textOutput() async throws {
        let context = try await SharedServer.shared.context()
        let c = Case(
            reason: "trust_policy_not_allowed", leaf: "leaf-ec-p256-int", chain: ["chain-intermediate"],
            roleArn: ARNs.opsOnly)
        let r = try await Self.explain(c, context, [])
        #expect(r.status == 1, "\(r.summary)")
        let text = r.stdout
        for expected in [
            "path[0]: CN=leaf-ec-p256-int", "path[1]: CN=Anchorage Test Intermediate EC",
            "path[2]: CN=Anchorage Test Root RSA",
            "principal tag", "x509Subject/OU = web",
            #"StringEquals aws:PrincipalTag/x509Subject/OU ["ops"] vs ["web"] -> false"#,
            "aws:SourceArn = \(ARNs.rsaRootAnchor)",
            "DENIED (trust_policy_not_allowed)",
        ] {
            #expect(text.contains(expected), "missing `\(expected)` in:\n\(text)")
        }
        // No path: the reason says why.
        let untrusted = try await Self.explain(
            Case(reason: "untrusted_certificate", leaf: "leaf-unknown-ca"), context, [])
        #expect(untrusted.stdout.contains("DENIED (untrusted_certificate)"), "\(untrusted.summary)")
    }
}
