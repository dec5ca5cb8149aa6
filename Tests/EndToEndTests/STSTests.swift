import AnchorageTestSupport
import Foundation
import Testing

/// STS GetCallerIdentity / GetSessionContext against the real server over TLS, with the AWS CLI,
/// boto3, a botocore-presigned URL fetched by a plain HTTP client, and a forwarded signed request.
@Suite("STS end to end")
struct STSTests {
    static func expectedArn(_ leaf: String, _ pki: FixturePKI) throws -> String {
        "arn:aws:sts::123456789012:assumed-role/web-reader/\(try pki.serialHex(leaf))"
    }

    @Test("aws sts get-caller-identity prints the assumed-role ARN; the attempt is audited")
    func awsCLI() async throws {
        let context = try await SharedServer.shared.context()
        let credentials = try await STSClients.credentials(context)
        let result = try await STSClients.awsCLI(credentials, context)
        try #require(result.status == 0, "\(result.summary)")
        let out = try JSONValue.parse(result.stdout)
        #expect(out["Arn"]?.string == (try Self.expectedArn("leaf-ec-p256", context.pki)))
        #expect(out["Account"]?.string == "123456789012")
        #expect(out["UserId"]?.string?.hasPrefix("AROA") == true)
        #expect(out["UserId"]?.string?.hasSuffix(":" + (try context.pki.serialHex("leaf-ec-p256"))) == true)

        let lines = try STSClients.auditLines(context.server, accessKeyId: credentials.accessKeyId)
        let line = try #require(lines.first { $0["outcome"]?.string == "allowed" }, "no allowed STS audit line")
        #expect(line["operation"]?.string == "GetCallerIdentity")
        #expect(line["roleArn"]?.string == ARNs.webReader)
        #expect(line["trustAnchorArn"]?.string == ARNs.rsaRootAnchor)
        #expect(line["profileArn"]?.string == ARNs.webProfile)
        #expect(line["expiration"]?.string != nil)
        #expect(line["certificate"]?["serialHex"]?.string == (try context.pki.serialHex("leaf-ec-p256")))
        #expect(
            line["certificate"]?["sha256"]?.string == (try await Clients.certificateSHA256("leaf-ec-p256", context.pki))
        )
        #expect(line["certificate"]?["subject"]?.string?.contains("leaf-ec-p256") == true)
        let text = try context.server.auditLogText()
        #expect(!text.contains(credentials.secretAccessKey))
        #expect(!text.contains(credentials.sessionToken))
    }

    @Test("boto3 sts.get_caller_identity()")
    func boto3() async throws {
        let context = try await SharedServer.shared.context()
        let credentials = try await STSClients.credentials(leaf: "leaf-rsa-2048", context)
        let out = try await STSClients.script("boto3", credentials, context, ["--region", "ap-southeast-2"])
        #expect(out["ok"]?.bool == true, "\(out)")
        #expect(out["Arn"]?.string == (try Self.expectedArn("leaf-rsa-2048", context.pki)))
        let requestId = try #require(out["RequestId"]?.string)
        let line = try #require(try context.server.auditEntry(requestId: requestId), "no audit line for \(requestId)")
        #expect(line["outcome"]?.string == "allowed")
        #expect(line["accessKeyId"]?.string == credentials.accessKeyId)
    }

    @Test("a botocore presigned GetCallerIdentity URL works with a plain HTTP client")
    func presignedURL() async throws {
        let context = try await SharedServer.shared.context()
        let credentials = try await STSClients.credentials(context)
        let out = try await STSClients.script("presign", credentials, context)
        #expect(out["status"]?.number == 200, "\(out)")
        #expect(out["Arn"]?.string == (try Self.expectedArn("leaf-ec-p256", context.pki)))
        #expect(out["url"]?.string?.contains("X-Amz-Signature=") == true)
        let line = try #require(try context.server.auditEntry(requestId: out["RequestId"]?.string ?? "(none)"))
        #expect(line["presigned"]?.bool == true)
    }

    @Test("GetSessionContext returns the session's certificate, anchor, profile and tags (XML and JSON)")
    func sessionContext() async throws {
        let context = try await SharedServer.shared.context()
        let credentials = try await STSClients.credentials(context)
        let out = try await STSClients.script("signed-call", credentials, context, ["--action", "GetSessionContext"])
        #expect(out["status"]?.number == 200, "\(out)")
        #expect(out["TrustAnchorArn"]?.string == ARNs.rsaRootAnchor)
        #expect(out["SerialNumber"]?.string == (try context.pki.serialHex("leaf-ec-p256")))
        #expect(out["Sha256Fingerprint"]?.string == (try await Clients.certificateSHA256("leaf-ec-p256", context.pki)))
        #expect(out["SourceIdentity"]?.string == "CN=leaf-ec-p256")
        #expect(out["AccessKeyId"]?.string == credentials.accessKeyId)
        #expect(out["body"]?.string?.contains("<Key>x509Subject/OU</Key>") == true)
        #expect(out["body"]?.string?.contains(credentials.secretAccessKey) == false)

        let json = try await STSClients.script(
            "signed-call", credentials, context, ["--action", "GetSessionContext", "--accept-json"])
        let result = json["json"]?["GetSessionContextResponse"]?["GetSessionContextResult"]
        #expect(result?["ProfileArn"]?.string == ARNs.webProfile, "\(json)")
        #expect(result?["Certificate"]?["SerialNumber"]?.string == (try context.pki.serialHex("leaf-ec-p256")))
    }

    @Test("wrong secret → SignatureDoesNotMatch; tampered token → InvalidClientTokenId; unknown action → InvalidAction")
    func errors() async throws {
        let context = try await SharedServer.shared.context()
        let credentials = try await STSClients.credentials(context)

        var wrongSecret = credentials
        wrongSecret.secretAccessKey = String(credentials.secretAccessKey.reversed())
        let signature = try await STSClients.script("boto3", wrongSecret, context)
        #expect(signature["status"]?.number == 403)
        #expect(signature["code"]?.string == "SignatureDoesNotMatch", "\(signature)")
        let signatureLine = try #require(
            try context.server.auditEntry(requestId: signature["RequestId"]?.string ?? "(none)"))
        #expect(signatureLine["reason"]?.string == "signature_mismatch")
        #expect(signatureLine["outcome"]?.string == "denied")

        var tampered = credentials
        var token = Array(credentials.sessionToken.utf8)
        token[token.count / 2] = token[token.count / 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        tampered.sessionToken = String(decoding: token, as: UTF8.self)
        let invalid = try await STSClients.script("boto3", tampered, context)
        #expect(invalid["status"]?.number == 403)
        #expect(invalid["code"]?.string == "InvalidClientTokenId", "\(invalid)")
        #expect(invalid["message"]?.string == "The security token included in the request is invalid.")
        let invalidLine = try #require(
            try context.server.auditEntry(requestId: invalid["RequestId"]?.string ?? "(none)"))
        #expect(invalidLine["reason"]?.string == "invalid_token")

        let cli = try await STSClients.awsCLI(tampered, context)
        #expect(cli.status != 0)
        #expect(cli.stderr.contains("InvalidClientTokenId"), "\(cli.summary)")

        let action = try await STSClients.script("signed-call", credentials, context, ["--action", "AssumeRole"])
        #expect(action["status"]?.number == 400)
        #expect(action["code"]?.string == "InvalidAction", "\(action)")
    }

    @Test("identity forwarding: one process signs with an audience header, another replays it")
    func forwardedIdentity() async throws {
        let context = try await SharedServer.shared.context()
        let credentials = try await STSClients.credentials(context)
        let payload = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
            "sts-login-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: payload) }
        let signed = try await STSClients.script(
            "sign-forward", credentials, context, ["--audience", "vault.example.com", "--out", payload.path])
        #expect(signed["signedHeaders"]?.string?.contains("x-vault-aws-iam-server-id") == true, "\(signed)")

        // The relying service holds no AWS credentials: it only has the payload.
        let replayed = try await STSClients.script(
            "replay", nil, context,
            ["--in", payload.path, "--ca-bundle", context.pki.caBundle.path, "--expect-audience", "vault.example.com"])
        #expect(replayed["status"]?.number == 200, "\(replayed)")
        #expect(replayed["Arn"]?.string == (try Self.expectedArn("leaf-ec-p256", context.pki)))

        // A payload meant for another audience is refused by the relying service…
        let otherAudience = try await STSClients.script(
            "replay", nil, context,
            ["--in", payload.path, "--ca-bundle", context.pki.caBundle.path, "--expect-audience", "other.example.com"])
        #expect(otherAudience["code"]?.string == "AudienceMismatch")
        // …and rewriting the signed audience header breaks the signature at Anchorage.
        let rewritten = try await STSClients.script(
            "replay", nil, context,
            [
                "--in", payload.path, "--ca-bundle", context.pki.caBundle.path, "--expect-audience",
                "vault.example.com",
                "--tamper-audience",
            ])
        #expect(rewritten["status"]?.number == 403)
        #expect(rewritten["code"]?.string == "SignatureDoesNotMatch", "\(rewritten)")
    }
}

/// Revocation, expiry, keyring sharing and source binding: each with its own server and configuration copy.
@Suite("STS revocation and session checks end to end")
struct STSRevocationTests {
    @Test(
        "anchorage revoke --serial makes the CLI fail with InvalidClientTokenId within 2 s and blocks CreateSession; --remove lifts it"
    )
    func revokeThenFail() async throws {
        let context = try await OwnServer.start()
        let server = context.server
        let config = context.configuration
        let credentials = try await STSClients.credentials(context)
        let before = try await STSClients.awsCLI(credentials, context)
        try #require(before.status == 0, "\(before.summary)")

        // Exactly what `openssl x509 -noout -serial` prints: `serial=` and uppercase hex.
        let serial = try await STSClients.opensslSerial("leaf-ec-p256", context.pki)
        #expect(serial.hasPrefix("serial="))
        let revoke = try await STSClients.anchorage([
            "revoke", "--pki", config.pki.path, "--profiles", config.profiles.path, "--serial", serial, "--reason",
            "e2e",
        ])
        try #require(revoke.status == 0, "\(revoke.summary)")
        let revokedAt = Date()
        // The AWS CLI itself takes a second or more to start on a loaded machine, so the 2 s bound is measured
        // on the server: the audit log's `Revoke` record is written when the revocation takes effect.
        let failed = try await poll(for: 10) {
            let r = try await STSClients.awsCLI(credentials, context)
            return r.status != 0 ? r : nil
        }
        let failure = try #require(failed, "the CLI still succeeds 10 s after revoke; stderr:\n\(server.stderr)")
        let applied = try #require(try server.auditEntries().last { $0["operation"]?.string == "Revoke" })
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let appliedAt = try #require(formatter.date(from: applied["time"]?.string ?? ""))
        let delay = appliedAt.timeIntervalSince(revokedAt)
        #expect(delay <= 2.5, "revocation applied \(delay) s after the revoke command finished")
        #expect(failure.stderr.contains("InvalidClientTokenId"), "\(failure.summary)")
        let denied = try #require(
            try STSClients.auditLines(server, accessKeyId: credentials.accessKeyId).last {
                $0["outcome"]?.string == "denied"
            })
        #expect(denied["reason"]?.string == "revoked")

        // The certificate cannot create new sessions either.
        let create = try await Clients.raw(RawRequest(leaf: "leaf-ec-p256"), context)
        #expect(create.status == 403, "\(create.output)")
        let createLine = try #require(try server.auditEntry(requestId: create.requestId ?? "(none)"))
        #expect(createLine["reason"]?.string == "certificate_revoked_by_administrator")
        // Other certificates are unaffected.
        #expect(try await Clients.raw(RawRequest(leaf: "leaf-rsa-2048"), context).status == 201)

        // Listed, audited as it took effect, and lifted again.
        let list = try await STSClients.anchorage(["revoke", "--pki", config.pki.path, "--list", "--json"])
        let listed = try JSONValue.parse(list.stdout)
        let id = try #require(listed["revocations"]?[0]?["id"]?.string, "\(list.summary)")
        #expect(listed["revocations"]?[0]?["serial"]?.string == (try context.pki.serialHex("leaf-ec-p256")))
        #expect(listed["revocations"]?[0]?["reason"]?.string == "e2e")
        #expect(
            try server.auditEntries().contains {
                $0["operation"]?.string == "Revoke" && $0["revocation"]?["id"]?.string == id
            })
        let remove = try await STSClients.anchorage([
            "revoke", "--pki", config.pki.path, "--profiles", config.profiles.path, "--remove", id,
        ])
        try #require(remove.status == 0, "\(remove.summary)")
        let restored = try await poll(for: 2) {
            let r = try await STSClients.awsCLI(credentials, context)
            return r.status == 0 ? r : nil
        }
        #expect(restored != nil, "still failing 2 s after --remove")
        #expect(try server.auditEntries().contains { $0["operation"]?.string == "Unrevoke" })
        _ = await server.stop()
    }

    @Test("revoke by access key id, role and trust anchor; bad input is a usage error")
    func revokeSelectors() async throws {
        let context = try await OwnServer.start()
        let config = context.configuration
        let pkiArgs = ["revoke", "--pki", config.pki.path, "--profiles", config.profiles.path]
        let first = try await STSClients.credentials(context)
        let second = try await STSClients.credentials(leaf: "leaf-rsa-2048", context)

        #expect(try await STSClients.anchorage(pkiArgs + ["--access-key-id", first.accessKeyId]).status == 0)
        let byKey = try await poll(for: 2) {
            let r = try await STSClients.script("boto3", first, context)
            return r["ok"]?.bool == false ? r : nil
        }
        #expect(byKey?["code"]?.string == "InvalidClientTokenId")
        #expect(try await STSClients.script("boto3", second, context)["ok"]?.bool == true)

        #expect(try await STSClients.anchorage(pkiArgs + ["--role", ARNs.webReader]).status == 0)
        let byRole = try await poll(for: 2) {
            let r = try await STSClients.script("boto3", second, context)
            return r["ok"]?.bool == false ? r : nil
        }
        #expect(byRole?["code"]?.string == "InvalidClientTokenId")
        // Sessions issued after the role revocation work (the revocation covers sessions issued before it).
        try await Task.sleep(nanoseconds: 1_100_000_000)
        let fresh = try await STSClients.credentials(leaf: "leaf-rsa-2048", context)
        #expect(try await STSClients.script("boto3", fresh, context)["ok"]?.bool == true)

        for bad in [
            ["--serial", "xyz"], ["--serial", "0a", "--sha256", "00"], ["--role", "arn:aws:iam::1:user/x"], [],
        ] {
            let r = try await STSClients.anchorage(pkiArgs + bad)
            #expect(r.status == 64, "\(bad): \(r.summary)")
        }
        let validate = try await STSClients.anchorage([
            "validate", "--pki", config.pki.path, "--profiles", config.profiles.path,
        ])
        #expect(validate.status == 0, "\(validate.summary)")
        _ = await context.server.stop()
    }

    @Test("a broken revocations.json is refused naming the file and JSON path")
    func brokenRevocationsFile() async throws {
        let pki = try FixturePKI.shared()
        let config = try await TestConfiguration.write(pki: pki)
        try
            #"{"revocations":[{"id":"r-1","type":"certificate-serial","serial":"nothex","revokedAt":"2026-01-01T00:00:00Z"}]}"#
            .write(to: config.pki.appendingPathComponent("revocations.json"), atomically: true, encoding: .utf8)
        let r = try await STSClients.anchorage([
            "validate", "--pki", config.pki.path, "--profiles", config.profiles.path,
        ])
        #expect(r.status == 1)
        #expect(r.stderr.contains("revocations.json"), "\(r.summary)")
        #expect(r.stderr.contains("$.revocations[0].serial"), "\(r.summary)")
    }

    static func claims(
        accessKeyId: String, secret: String, expiresAt: Int, sourceAddress: String = "127.0.0.1"
    ) -> [String: Any] {
        let now = Int(Date().timeIntervalSince1970)
        return [
            "akid": accessKeyId, "sk": secret, "role": ARNs.webReader, "rsn": "sealed-by-test", "sid": "CN=sealed",
            "tags": [["x509Subject/CN", "sealed"]], "ta": ARNs.rsaRootAnchor, "prof": ARNs.webProfile,
            "serial": "0badc0de", "fp": String(repeating: "cd", count: 32), "iat": now - 7200, "exp": expiresAt,
            "src": sourceAddress,
        ]
    }

    @Test(
        "expired credentials → ExpiredToken (token sealed with the server's --token-keyring); replicas sharing the keyring accept each other's sessions; bindSourceIp"
    )
    func keyringExpiryAndBinding() async throws {
        let pki = try FixturePKI.shared()
        let config = try await TestConfiguration.write(pki: pki)
        let keyring = try TestKeyring.write(in: config.root.appendingPathComponent("secrets"))
        let replicaA = try await OwnServer.start(
            configuration: config, extraArguments: ["--token-keyring", keyring.url.path])
        let replicaB = try await OwnServer.start(
            configuration: config, extraArguments: ["--token-keyring", keyring.url.path])

        // Issued by A, verified by B.
        let issuedByA = try await STSClients.credentials(replicaA)
        let onB = try await STSClients.awsCLI(issuedByA, replicaB)
        #expect(onB.status == 0, "\(onB.summary)")

        // A session whose claims expired an hour ago, sealed with the same keyring file.
        let secret = "expiredSecretKeyForTheEndToEndTest00000="
        let expiredToken = try await keyring.seal(
            Self.claims(
                accessKeyId: "ASIAEXPIREDTEST00001", secret: secret, expiresAt: Int(Date().timeIntervalSince1970) - 3600
            ),
            replicaA)
        let expired = SessionCredentials(
            accessKeyId: "ASIAEXPIREDTEST00001", secretAccessKey: secret, sessionToken: expiredToken)
        let boto = try await STSClients.script("boto3", expired, replicaA)
        #expect(boto["status"]?.number == 400, "\(boto)")
        #expect(boto["code"]?.string == "ExpiredToken", "\(boto)")
        let cli = try await STSClients.awsCLI(expired, replicaA)
        #expect(cli.status != 0)
        #expect(cli.stderr.contains("ExpiredToken"), "\(cli.summary)")
        let line = try #require(try replicaA.server.auditEntry(requestId: boto["RequestId"]?.string ?? "(none)"))
        #expect(line["reason"]?.string == "expired_token")

        // bindSourceIp: a session created from 127.0.0.1 works from there; one bound elsewhere is refused.
        try config.editJSON("Profiles/web.json") { $0["bindSourceIp"] = true }
        replicaA.server.send(signal: SIGHUP)
        let secret2 = "boundSecretKeyForTheEndToEndTest0000000="
        let boundElsewhere = SessionCredentials(
            accessKeyId: "ASIABOUNDELSEWHERE01", secretAccessKey: secret2,
            sessionToken: try await keyring.seal(
                Self.claims(
                    accessKeyId: "ASIABOUNDELSEWHERE01", secret: secret2,
                    expiresAt: Int(Date().timeIntervalSince1970) + 3600, sourceAddress: "192.0.2.7"), replicaA))
        let refused = try await poll(for: 2) {
            let r = try await STSClients.script("boto3", boundElsewhere, replicaA)
            return r["code"]?.string == "AccessDenied" ? r : nil
        }
        #expect(refused?["status"]?.number == 403, "bindSourceIp not applied within 2 s")
        #expect(try await STSClients.script("boto3", issuedByA, replicaA)["ok"]?.bool == true)

        _ = await replicaA.server.stop()
        _ = await replicaB.server.stop()
    }
}
