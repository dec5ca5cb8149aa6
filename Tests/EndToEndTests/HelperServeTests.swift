import AnchorageTestSupport
import Foundation
import Testing

/// `anchorage-helper serve`: IMDSv2 and the ECS container-credentials form, refresh and rotation.
@Suite("anchorage-helper serve end to end")
struct HelperServeTests {
    struct Served {
        let process: BackgroundProcess
        let imdsEndpoint: String
        let containerURI: String
        let containerToken: String
    }

    static func serve(_ arguments: [String], _ pki: FixturePKI) async throws -> Served {
        let process = try BackgroundProcess(
            try HelperBinary.path(), ["serve", "--port", "0"] + arguments,
            environment: Clients.environment(caBundle: pki.caBundle))
        let imds = try await process.waitForLine(prefix: "export AWS_EC2_METADATA_SERVICE_ENDPOINT=")
        let uri = try await process.waitForLine(prefix: "export AWS_CONTAINER_CREDENTIALS_FULL_URI=")
        let token = try await process.waitForLine(prefix: "export AWS_CONTAINER_AUTHORIZATION_TOKEN=")
        return Served(process: process, imdsEndpoint: imds, containerURI: uri, containerToken: token)
    }

    static func boto3(_ served: Served, ecs: Bool, _ pki: FixturePKI) async throws -> JSONValue {
        var env = Clients.environment(caBundle: pki.caBundle)
        for key in [
            "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_DISABLED",
        ] {
            env[key] = nil
        }
        env["AWS_CONFIG_FILE"] = "/nonexistent"
        env["AWS_SHARED_CREDENTIALS_FILE"] = "/nonexistent"
        if ecs {
            env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = served.containerURI
            env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = served.containerToken
        } else {
            env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = served.imdsEndpoint
        }
        let out = try await HelperTests.probe(["boto3"], environment: env)
        IssuedSecrets.shared.record(out["secretAccessKey"]?.string, out["sessionToken"]?.string)
        return out
    }

    static func imds(_ served: Served) async throws -> JSONValue {
        try await HelperTests.probe(
            ["imds", "--endpoint", served.imdsEndpoint], environment: ProcessInfo.processInfo.environment)
    }

    @Test("boto3 gets credentials from the IMDS emulation and from the ECS form")
    func boto3FromServe() async throws {
        let context = try await SharedServer.shared.context()
        let served = try await Self.serve(
            try HelperInputs.arguments(try HelperInputs.identities()[0], context.server), context.pki)
        defer { served.process.stop() }
        let imds = try await Self.boto3(served, ecs: false, context.pki)
        #expect(imds["ok"]?.bool == true && imds["method"]?.string == "iam-role", "\(imds)\n\(served.process.stderr)")
        let ecs = try await Self.boto3(served, ecs: true, context.pki)
        #expect(ecs["ok"]?.bool == true && ecs["method"]?.string == "container-role", "\(ecs)")
        #expect(imds["accessKeyId"] == ecs["accessKeyId"], "one cached session for both forms")

        let raw = try await Self.imds(served)
        #expect(raw["tokenStatus"]?.number == 200 && raw["role"]?.string == "web-reader")
        let body = try JSONValue.parse(try #require(raw["body"]?.string))
        #expect(body["Code"]?.string == "Success" && body["Type"]?.string == "AWS-HMAC")
        #expect(body.keys == ["Code", "LastUpdated", "Type", "AccessKeyId", "SecretAccessKey", "Token", "Expiration"])
    }

    /// The IMDS hop limit: answers leave with the IP TTL `--hop-limit` sets, so they die that many routers
    /// away (a container behind a bridge cannot reach a hop limit of 1). Seen on the wire with a packet
    /// socket on loopback, which needs root (CAP_NET_RAW); the client's own packets keep the default 64.
    @Test("serve --hop-limit 3: the answers' packets carry IP TTL 3", .enabled(if: getuid() == 0))
    func hopLimit() async throws {
        let context = try await SharedServer.shared.context()
        let served = try await Self.serve(
            try HelperInputs.arguments(try HelperInputs.identities()[0], context.server) + ["--hop-limit", "3"],
            context.pki)
        defer { served.process.stop() }
        let out = try await HelperTests.probe(
            ["ttl", "--endpoint", served.imdsEndpoint], environment: ProcessInfo.processInfo.environment)
        if out["error"]?.string == "permission" { return }  // root without CAP_NET_RAW (a restricted container)
        try #require(out["ok"]?.bool == true, "\(out)")
        #expect(out["tokenStatus"]?.number == 200, "\(out)")
        #expect(out["fromServer"] == .array([.number(3)]), "every packet from the helper: \(out)")
        #expect(out["toServer"] == .array([.number(64)]), "the client's packets: \(out)")
    }

    @Test("a rotated certificate and key are used at the next refresh")
    func rotation() async throws {
        let context = try await SharedServer.shared.context()
        let pki = context.pki
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
            "anchorage-helper-rotate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let cert = dir.appendingPathComponent("cert.pem")
        let key = dir.appendingPathComponent("key.pem")
        func install(_ leaf: String) throws {
            for (source, target) in [(pki.certificate(leaf), cert), (pki.privateKey(leaf), key)] {
                let staged = dir.appendingPathComponent(".staged")
                try Data(contentsOf: source).write(to: staged)
                guard rename(staged.path, target.path) == 0 else { throw TestFailure("rename failed") }
            }
        }
        try install("leaf-ec-p256")
        let identity = HelperIdentity(
            name: "rotating", leaf: "leaf-ec-p256",
            flags: ["--certificate", cert.path, "--private-key", key.path])
        // 900 s sessions refreshed 898 s before expiry: a refresh every ~2 s.
        let served = try await Self.serve(
            try HelperInputs.arguments(identity, context.server) + [
                "--session-duration", "900", "--refresh-before", "898",
            ], pki)
        defer { served.process.stop() }
        let first = try await Self.boto3(served, ecs: false, pki)
        let firstKey = try #require(first["accessKeyId"]?.string, "\(first)\n\(served.process.stderr)")
        // The cert and key can be swapped between reads of the two files; install both in one go, then wait.
        try install("leaf-rsa-2048")
        let rsaSerial = try pki.serialHex("leaf-rsa-2048")
        let rotated = try await poll(for: 20, every: 0.5) { () -> String? in
            let raw = try await Self.imds(served)
            guard let body = raw["body"]?.string, let json = try? JSONValue.parse(body),
                let akid = json["AccessKeyId"]?.string, akid != firstKey,
                let entry = try context.server.auditEntries().first(where: { $0["accessKeyId"]?.string == akid }),
                entry["certificate"]?["serialHex"]?.string?.lowercased() == rsaSerial
            else { return nil }
            IssuedSecrets.shared.record(json["SecretAccessKey"]?.string, json["Token"]?.string)
            return akid
        }
        #expect(rotated != nil, "no credentials from the rotated certificate; stderr:\n\(served.process.stderr)")
    }

    @Test("a failing service never produces Success; a failed refresh keeps the last good credentials")
    func failuresAreNotSuccess() async throws {
        let context = try await SharedServer.shared.context()
        let pki = context.pki
        // Denied from the start: 503, no Code: Success, boto3 finds no credentials.
        let unknown = HelperIdentity(
            name: "unknown", leaf: "leaf-unknown-ca",
            flags: [
                "--certificate", pki.certificate("leaf-unknown-ca").path,
                "--private-key", pki.privateKey("leaf-unknown-ca").path,
            ])
        let denied = try await Self.serve(try HelperInputs.arguments(unknown, context.server), pki)
        defer { denied.process.stop() }
        let raw = try await Self.imds(denied)
        #expect(raw["status"]?.number == 503, "\(raw)")
        #expect(raw["body"]?.string?.contains("Success") == false)
        let boto = try await Self.boto3(denied, ecs: false, pki)
        #expect(boto["ok"]?.bool != true, "\(boto)")
        #expect(denied.process.stderr.contains("Untrusted Signing Certificate"))

        // Good, then the service goes away: the refresh fails, the same (still valid) credentials stay.
        let own = try await OwnServer.start()
        let served = try await Self.serve(
            try HelperInputs.arguments(try HelperInputs.identities()[0], own.server)
                + ["--session-duration", "900", "--refresh-before", "898"], pki)
        defer { served.process.stop() }
        let before = try JSONValue.parse(try #require(try await Self.imds(served)["body"]?.string))
        let key = try #require(before["AccessKeyId"]?.string, "\(before)")
        IssuedSecrets.shared.record(before["SecretAccessKey"]?.string, before["Token"]?.string)
        _ = await own.server.stop()
        let failed = try await poll(for: 20, every: 0.5) {
            served.process.stderr.contains("refresh failed") ? true : nil
        }
        #expect(failed == true, "stderr:\n\(served.process.stderr)")
        let after = try await Self.imds(served)
        #expect(after["status"]?.number == 200)
        let body = try JSONValue.parse(try #require(after["body"]?.string))
        #expect(body["Code"]?.string == "Success")
        // The refresh loop may have renewed once more between the first fetch and the stop, so the key
        // served now is the last one the stopped server issued — not necessarily `key`.
        let servedKey = try #require(body["AccessKeyId"]?.string, "\(body)")
        IssuedSecrets.shared.record(body["SecretAccessKey"]?.string, body["Token"]?.string)
        let issued = try own.server.auditEntries().compactMap { $0["accessKeyId"]?.string }
        #expect(issued.contains(key) && issued.last == servedKey, "served \(servedKey); issued \(issued)")
    }
}
