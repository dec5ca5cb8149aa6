import AnchorageTestSupport
import Foundation
import Testing

/// `anchorage-helper` against a real `anchorage serve`, used by the AWS CLI and boto3.
@Suite("anchorage-helper end to end")
struct HelperTests {
    static func identities() throws -> [HelperIdentity] { try HelperInputs.identities() }

    static func probe(_ arguments: [String], environment: [String: String]) async throws -> JSONValue {
        let script = try Clients.scriptsDirectory().appendingPathComponent("helper_probe.py").path
        let result = try await runProcess("/usr/bin/env", ["python3", script] + arguments, environment: environment)
        guard let line = result.stdout.split(separator: "\n").last, let json = try? JSONValue.parse(String(line)) else {
            throw TestFailure("helper_probe.py printed no JSON: \(result.summary)")
        }
        return json
    }

    /// An environment with an AWS config file whose profile `helper` runs `credential_process`.
    static func configEnvironment(_ arguments: [String], _ pki: FixturePKI) throws -> [String: String] {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
            "anchorage-helper-cfg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let line = try ([HelperBinary.path(), "credential-process"] + arguments)
            .map { $0.contains(" ") ? "\"\($0)\"" : $0 }.joined(separator: " ")
        try "[profile helper]\ncredential_process = \(line)\n".write(
            to: dir.appendingPathComponent("config"), atomically: true, encoding: .utf8)
        var env = Clients.environment(caBundle: pki.caBundle)
        env["AWS_CONFIG_FILE"] = dir.appendingPathComponent("config").path
        env["AWS_SHARED_CREDENTIALS_FILE"] = dir.appendingPathComponent("credentials").path
        for key in [
            "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_EC2_METADATA_SERVICE_ENDPOINT",
        ] {
            env[key] = nil
        }
        return env
    }

    @Test("boto3 obtains credentials through credential_process", arguments: try identities())
    func boto3CredentialProcess(_ identity: HelperIdentity) async throws {
        let context = try await SharedServer.shared.context()
        let env = try Self.configEnvironment(try HelperInputs.arguments(identity, context.server), context.pki)
        let out = try await Self.probe(["boto3", "--profile", "helper"], environment: env)
        #expect(out["ok"]?.bool == true, "\(out)")
        #expect(out["method"]?.string == "custom-process")
        let akid = try #require(out["accessKeyId"]?.string)
        #expect(akid.hasPrefix("ASIA"))
        IssuedSecrets.shared.record(out["secretAccessKey"]?.string, out["sessionToken"]?.string)
        // The server saw exactly this certificate.
        let entry = try #require(try context.server.auditEntries().first { $0["accessKeyId"]?.string == akid })
        #expect(entry["certificate"]?["serialHex"]?.string?.lowercased() == (try context.pki.serialHex(identity.leaf)))
    }

    @Test("the AWS CLI obtains credentials through credential_process", arguments: try identities())
    func awsCLICredentialProcess(_ identity: HelperIdentity) async throws {
        let context = try await SharedServer.shared.context()
        let env = try Self.configEnvironment(try HelperInputs.arguments(identity, context.server), context.pki)
        // `aws configure list` resolves the credentials (running the process) without calling AWS.
        let result = try await runProcess(
            "/usr/bin/env", ["aws", "configure", "list", "--profile", "helper"], environment: env)
        #expect(result.status == 0, "\(result.summary)")
        let line = try #require(
            result.stdout.split(separator: "\n").first { $0.contains("access_key") }, "\(result.summary)")
        #expect(line.contains("custom-process"), "\(line)")
        let suffix = try #require(line.split(separator: " ").first { $0.hasPrefix("****") }?.suffix(4))
        #expect(
            try context.server.auditEntries().contains {
                $0["accessKeyId"]?.string?.hasSuffix(suffix) == true
                    && $0["accessKeyId"]?.string?.hasPrefix("ASIA") == true
            })
    }

    @Test("credential-process prints exactly one JSON line; failures exit 1 with the service's error on stderr")
    func credentialProcessOutputAndErrors() async throws {
        let context = try await SharedServer.shared.context()
        let helper = try HelperBinary.path()
        let pki = context.pki
        let good = try HelperInputs.identities()[0]
        let ok = try await runProcess(helper, ["credential-process"] + HelperInputs.arguments(good, context.server))
        #expect(ok.status == 0, "\(ok.summary)")
        let lines = ok.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2 && lines[1].isEmpty, "one line: \(ok.stdout)")
        let json = try JSONValue.parse(String(lines[0]))
        #expect(json.keys == ["Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"])
        #expect(json["Version"]?.number == 1)
        #expect(lines[0].hasPrefix("{\"Version\":1,\"AccessKeyId\":\"ASIA"))
        IssuedSecrets.shared.record(json["SecretAccessKey"]?.string, json["SessionToken"]?.string)
        #expect(ok.stderr.isEmpty, "no diagnostics on success: \(ok.stderr)")

        let unknown = HelperIdentity(
            name: "unknown CA", leaf: "leaf-unknown-ca",
            flags: [
                "--certificate", pki.certificate("leaf-unknown-ca").path,
                "--private-key", pki.privateKey("leaf-unknown-ca").path,
            ])
        let denied = try await runProcess(
            helper, ["credential-process"] + HelperInputs.arguments(unknown, context.server))
        #expect(denied.status == 1)
        #expect(denied.stdout.isEmpty)
        #expect(denied.stderr.contains("AccessDeniedException: Untrusted Signing Certificate"), "\(denied.stderr)")
        #expect(!denied.stderr.contains("retrying"), "403 is never retried")

        let mismatched = HelperIdentity(
            name: "mismatch", leaf: "leaf-ec-p256",
            flags: [
                "--certificate", pki.certificate("leaf-ec-p256").path,
                "--private-key", pki.privateKey("leaf-rsa-2048").path,
            ])
        // Pointed at a closed port: a network attempt would show as a connection error and retries.
        var mismatchArgs = try HelperInputs.arguments(mismatched, context.server)
        mismatchArgs[mismatchArgs.firstIndex(of: "--endpoint")! + 1] = "https://127.0.0.1:1"
        let mismatch = try await runProcess(helper, ["credential-process"] + mismatchArgs)
        #expect(mismatch.status == 1 && mismatch.stderr.contains("does not match"), "\(mismatch.summary)")
        #expect(
            !mismatch.stderr.contains("connect") && !mismatch.stderr.contains("retrying"),
            "no network call: \(mismatch.stderr)")

        var wrongCA = try HelperInputs.arguments(good, context.server)
        wrongCA[wrongCA.count - 1] = pki.certificate("other-root").path
        let untrusted = try await runProcess(helper, ["credential-process"] + wrongCA)
        #expect(untrusted.status == 1 && untrusted.stderr.contains("certificate verify failed"), "\(untrusted.summary)")
        let insecure = try await runProcess(helper, ["credential-process"] + wrongCA + ["--no-verify-ssl"])
        #expect(insecure.status == 0 && insecure.stderr.contains("NOT verified"), "\(insecure.summary)")
    }

    @Test(
        "sign-string output verifies with openssl dgst -verify",
        arguments: [
            ("leaf-ec-p256", "SHA256"), ("leaf-ec-p256", "SHA384"), ("leaf-rsa-2048", "SHA512"),
            ("leaf-rsa-2048", "SHA256"),
        ])
    func signStringVerifies(_ leaf: String, _ digest: String) async throws {
        let pki = try FixturePKI.shared()
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
            "anchorage-helper-sign-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let sig = try await runProcess(
            try HelperBinary.path(),
            ["sign-string", "--private-key", pki.privateKey(leaf).path, "--digest", digest, "--format", "bin"])
        #expect(sig.status == 0, "\(sig.summary)")
        let text = try await runProcess(
            try HelperBinary.path(),
            ["sign-string", "--private-key", pki.privateKey(leaf).path, "--digest", digest, "--format", "json"])
        #expect(text.stdout.hasPrefix("\"") && text.stdout.hasSuffix("\""))
        // The binary output went through a UTF-8 decode in runProcess; re-run with hex text instead.
        let hex = try await runProcess(
            try HelperBinary.path(),
            ["sign-string", "--private-key", pki.privateKey(leaf).path, "--digest", digest, "--format", "text"])
        try await Self.expectVerifies(signatureHex: hex.stdout, leaf: leaf, digest: digest, in: dir)
    }

    /// `sign-string --format text` output checked as `openssl dgst -verify` with the leaf's public key would check
    /// it, over the string to sign that `sign-message` writes.
    static func expectVerifies(signatureHex: String, leaf: String, digest: String, in dir: URL) async throws {
        let pki = try FixturePKI.shared()
        let hex = signatureHex
        let bytes = stride(from: 0, to: hex.count, by: 2).compactMap { i -> UInt8? in
            let start = hex.index(hex.startIndex, offsetBy: i)
            return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)
        }
        try Data(bytes).write(to: dir.appendingPathComponent("sig.bin"))
        let message = try await probe(
            [
                "sign-message", "--certificate", pki.certificate(leaf).path, "--out",
                dir.appendingPathComponent("msg.bin").path,
            ],
            environment: ProcessInfo.processInfo.environment)
        #expect(message["ok"]?.bool == true, "\(message)")
        let pub = try await runProcess(
            "/usr/bin/env",
            [
                "openssl", "x509", "-in", pki.certificate(leaf).path, "-pubkey", "-noout",
                "-out", dir.appendingPathComponent("pub.pem").path,
            ])
        #expect(pub.status == 0)
        let verify = try await runProcess(
            "/usr/bin/env",
            [
                "openssl", "dgst", "-\(digest.lowercased())", "-verify", dir.appendingPathComponent("pub.pem").path,
                "-signature", dir.appendingPathComponent("sig.bin").path, dir.appendingPathComponent("msg.bin").path,
            ])
        #expect(verify.status == 0 && verify.stdout.contains("Verified OK"), "\(verify.summary)")
    }

    @Test("read-certificate-data prints the official JSON fields (PEM and PKCS#12)")
    func readCertificateData() async throws {
        let pki = try FixturePKI.shared()
        for (file, leaf, type) in [
            (pki.certificate("leaf-ec-p256").path, "leaf-ec-p256", "EC"),
            (
                try HelperInputs.directory().appendingPathComponent("leaf-rsa-2048-int.p12").path, "leaf-rsa-2048-int",
                "RSA"
            ),
        ] {
            let r = try await runProcess(try HelperBinary.path(), ["read-certificate-data", "--certificate", file])
            #expect(r.status == 0, "\(r.summary)")
            let json = try JSONValue.parse(r.stdout)
            #expect(json.keys == ["keyType", "certificateData", "serialNumber", "supportedAlgorithms"])
            #expect(json["keyType"]?.string == type)
            #expect(json["serialNumber"]?.string == (try pki.serialDecimal(leaf)))
            #expect(json["certificateData"]?.string == (try pki.der(leaf)).base64EncodedString())
        }
        let version = try await runProcess(try HelperBinary.path(), ["version"])
        #expect(version.status == 0 && !version.stdout.isEmpty)
    }

    @Test("update: concurrent updaters leave a valid credentials file with other profiles intact")
    func concurrentUpdaters() async throws {
        let context = try await SharedServer.shared.context()
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
            "anchorage-helper-update-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent("credentials")
        let original =
            "# keep me\n[other]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = othersecret\nregion = eu-west-1\n"
        try original.write(to: file, atomically: true, encoding: .utf8)
        var env = Clients.environment(caBundle: context.pki.caBundle)
        env["AWS_SHARED_CREDENTIALS_FILE"] = file.path
        let helper = try HelperBinary.path()
        let identities = try HelperInputs.identities()
        let updateEnv = env
        for round in 0..<3 {
            let results = try await withThrowingTaskGroup(of: ProcessResult.self) { group in
                for (index, profile) in ["alpha", "beta", "gamma", "delta"].enumerated() {
                    let args =
                        ["update", "--once", "--profile", profile]
                        + (try HelperInputs.arguments(identities[index % 2], context.server))
                    group.addTask { try await runProcess(helper, args, environment: updateEnv) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for r in results { #expect(r.status == 0, "round \(round): \(r.summary)") }
        }
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.hasPrefix(original), "other sections untouched:\n\(text)")
        for profile in ["alpha", "beta", "gamma", "delta"] {
            #expect(text.components(separatedBy: "[\(profile)]\n").count == 2, "one [\(profile)] section:\n\(text)")
        }
        #expect(text.components(separatedBy: "aws_access_key_id = ASIA").count == 5)
        #expect(text.components(separatedBy: "aws_session_token = ").count == 5)
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == [
                "credentials", "credentials.lock",
            ])
        // boto3 reads the file.
        var readEnv = env
        readEnv["AWS_CONFIG_FILE"] = dir.appendingPathComponent("none").path
        let read = try await Self.probe(["boto3", "--profile", "gamma"], environment: readEnv)
        #expect(read["ok"]?.bool == true && read["accessKeyId"]?.string?.hasPrefix("ASIA") == true, "\(read)")
        for line in text.split(separator: "\n")
        where line.hasPrefix("aws_secret_access_key = ") || line.hasPrefix("aws_session_token = ") {
            IssuedSecrets.shared.record(String(line.split(separator: " ", maxSplits: 2)[2]))
        }
    }

    @Test("a CONNECT proxy is used with --with-proxy and HTTPS_PROXY, and skipped for NO_PROXY hosts")
    func proxy() async throws {
        let context = try await SharedServer.shared.context()
        let script = try Clients.scriptsDirectory().appendingPathComponent("connect_proxy.py").path
        let proxy = try BackgroundProcess("/usr/bin/env", ["python3", "-u", script])
        defer { proxy.stop() }
        let port = try await proxy.waitForLine(prefix: "listening on ")
        var env = Clients.environment(caBundle: context.pki.caBundle)
        env["HTTPS_PROXY"] = "http://127.0.0.1:\(port)"
        env["NO_PROXY"] = nil
        env["no_proxy"] = nil
        let args =
            ["credential-process", "--with-proxy"]
            + (try HelperInputs.arguments(try HelperInputs.identities()[0], context.server))
        let through = try await runProcess(try HelperBinary.path(), args, environment: env)
        #expect(through.status == 0, "\(through.summary)")
        #expect(proxy.stdout.contains("CONNECT 127.0.0.1:\(context.server.port)"), "proxy log: \(proxy.stdout)")
        let tunnels = proxy.stdout.split(separator: "\n").count

        env["NO_PROXY"] = "localhost,127.0.0.1"
        let direct = try await runProcess(try HelperBinary.path(), args, environment: env)
        #expect(direct.status == 0, "\(direct.summary)")
        #expect(proxy.stdout.split(separator: "\n").count == tunnels, "NO_PROXY host went direct")

        env["NO_PROXY"] = nil
        let withoutFlag = try await runProcess(
            try HelperBinary.path(), args.filter { $0 != "--with-proxy" }, environment: env)
        #expect(
            withoutFlag.status == 0 && proxy.stdout.split(separator: "\n").count == tunnels,
            "no proxy without --with-proxy")
        for r in [through, direct, withoutFlag] {
            if let json = try? JSONValue.parse(r.stdout) {
                IssuedSecrets.shared.record(json["SecretAccessKey"]?.string, json["SessionToken"]?.string)
            }
        }
    }
}
