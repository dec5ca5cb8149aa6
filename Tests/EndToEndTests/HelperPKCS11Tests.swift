import AnchorageTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A SoftHSM2 token in a temporary folder, holding the fixture PKI's EC P-256 and RSA-2048 leaf keys and
/// certificates (`id=%01`/`object=ec`, `id=%02`/`object=rsa`), user PIN 1234; and the EC key once more as a
/// key that asks for the PIN at every signature (`CKA_ALWAYS_AUTHENTICATE`, `id=%03`/`object=ec-always`,
/// no certificate object). A second token, `split-keys` (same PIN), holds the EC key once more as
/// `id=%04`/`object=ec-split`, whose certificate object is on the first token only: a certificate on one
/// token and its key on another. SoftHSM2 adds its spare empty slot, so a URI without `token=` matches three.
enum SoftHSMToken {
    static let module = "/usr/lib/softhsm/libsofthsm2.so"
    static let label = "anchorage"
    static let keysLabel = "split-keys"
    static let pin = "1234"

    struct Token: Sendable {
        let directory: URL
        let config: String
        var environment: [String: String] {
            var env = ProcessInfo.processInfo.environment
            env["SOFTHSM2_CONF"] = config
            return env
        }
    }

    static func shared() throws -> Token { try cached.get() }

    private static let cached: Result<Token, TestFailure> = {
        do {
            guard FileManager.default.fileExists(atPath: module) else {
                throw TestFailure("SoftHSM2 is not installed (\(module)); `apt-get install softhsm2 opensc`")
            }
            let pki = try FixturePKI.shared()
            let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
                "anchorage-softhsm-\(UUID().uuidString)")
            let tokens = dir.appendingPathComponent("tokens")
            try FileManager.default.createDirectory(at: tokens, withIntermediateDirectories: true)
            let config = dir.appendingPathComponent("softhsm2.conf").path
            try "directories.tokendir = \(tokens.path)\nobjectstore.backend = file\nlog.level = ERROR\n".write(
                toFile: config, atomically: true, encoding: .utf8)
            var env = ProcessInfo.processInfo.environment
            env["SOFTHSM2_CONF"] = config
            func run(_ arguments: [String]) throws {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                p.arguments = arguments
                p.environment = env
                let out = Pipe()
                p.standardOutput = out
                p.standardError = out
                try p.run()
                let text = out.fileHandleForReading.readDataToEndOfFile()
                p.waitUntilExit()
                guard p.terminationStatus == 0 else {
                    throw TestFailure("\(arguments.joined(separator: " ")): \(String(decoding: text, as: UTF8.self))")
                }
            }
            try run(["softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin", "0000", "--pin", pin])
            for (leaf, id, object) in [("leaf-ec-p256", "01", "ec"), ("leaf-rsa-2048", "02", "rsa")] {
                let der = dir.appendingPathComponent("\(object).der").path
                try run(["openssl", "x509", "-in", pki.certificate(leaf).path, "-outform", "DER", "-out", der])
                try run([
                    "softhsm2-util", "--import", pki.privateKey(leaf).path, "--token", label, "--label", object,
                    "--id", id, "--pin", pin,
                ])
                try run([
                    "pkcs11-tool", "--module", module, "--token-label", label, "--login", "--pin", pin,
                    "--write-object", der, "--type", "cert", "--id", id, "--label", object,
                ])
            }
            let alwaysDER = dir.appendingPathComponent("ec-always.der").path
            try run([
                "openssl", "pkcs8", "-topk8", "-nocrypt", "-in", pki.privateKey("leaf-ec-p256").path, "-outform", "DER",
                "-out", alwaysDER,
            ])
            try run([
                "pkcs11-tool", "--module", module, "--token-label", label, "--login", "--pin", pin, "--write-object",
                alwaysDER, "--type", "privkey", "--id", "03", "--label", "ec-always", "--usage-sign", "--always-auth",
            ])
            // Made last, and named so that neither label begins the other: pkcs11-tool's --token-label picks
            // the first token whose label begins with the one given.
            try run(["softhsm2-util", "--init-token", "--free", "--label", keysLabel, "--so-pin", "0000", "--pin", pin])
            try run([
                "softhsm2-util", "--import", pki.privateKey("leaf-ec-p256").path, "--token", keysLabel, "--label",
                "ec-split", "--id", "04", "--pin", pin,
            ])
            try run([
                "pkcs11-tool", "--module", module, "--token-label", label, "--login", "--pin", pin, "--write-object",
                dir.appendingPathComponent("ec.der").path, "--type", "cert", "--id", "04", "--label", "ec-split",
            ])
            return .success(Token(directory: dir, config: config))
        } catch let error as TestFailure {
            return .failure(error)
        } catch {
            return .failure(TestFailure("\(error)"))
        }
    }()
}

/// A TCP listener that only counts connections: the endpoint of runs that must send nothing.
final class SilentListener: @unchecked Sendable {
    let fd: Int32
    let port: UInt16

    init(port wanted: UInt16 = 0) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = wanted.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw TestFailure("cannot listen on 127.0.0.1")
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    deinit { close(fd) }

    /// Connections made so far (accepted and closed).
    func connections() -> Int {
        var count = 0
        while true {
            let client = accept(fd, nil, nil)
            guard client >= 0 else { return count }
            close(client)
            count += 1
        }
    }
}

/// `anchorage-helper` with keys on a PKCS#11 token (SoftHSM2), against a real `anchorage serve`.
/// Serialized: SoftHSM2's file store fails processes that open it at the same moment (C_GetTokenInfo
/// CKR_GENERAL_ERROR, C_OpenSession CKR_TOKEN_NOT_RECOGNIZED; `pkcs11-tool -O` run six at once does it too).
@Suite("anchorage-helper with PKCS#11 keys", .serialized)
struct HelperPKCS11Tests {
    static let uriBase = "pkcs11:token=\(SoftHSMToken.label)"

    /// Expects `result` to have printed credentials that the server's audit log shows issued to `leaf`'s certificate.
    static func expectIssued(_ result: ProcessResult, to leaf: String, context: SharedServer.Context) throws {
        #expect(result.status == 0, "\(result.summary)")
        let json = try JSONValue.parse(result.stdout)
        let akid = try #require(json["AccessKeyId"]?.string, "\(result.summary)")
        IssuedSecrets.shared.record(json["SecretAccessKey"]?.string, json["SessionToken"]?.string)
        let entry = try #require(try context.server.auditEntries().first { $0["accessKeyId"]?.string == akid })
        #expect(entry["certificate"]?["serialHex"]?.string?.lowercased() == (try context.pki.serialHex(leaf)))
    }

    static func credentialFlags(endpoint: String) throws -> [String] {
        [
            "--trust-anchor-arn", ARNs.rsaRootAnchor, "--profile-arn", ARNs.webProfile, "--role-arn", ARNs.webReader,
            "--endpoint", endpoint, "--ca-bundle", try FixturePKI.shared().caBundle.path,
        ]
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var leaf: String
        var flags: [String]
        var testDescription: String { name }
    }

    static func cases() -> [Case] {
        let lib = ["--pkcs11-lib", SoftHSMToken.module]
        return [
            Case(
                name: "EC P-256, certificate URI only (key found by the certificate's id)", leaf: "leaf-ec-p256",
                flags: ["--certificate", "\(uriBase);object=ec?pin-value=1234"] + lib),
            Case(
                name: "RSA-2048, certificate URI only", leaf: "leaf-rsa-2048",
                flags: ["--certificate", "\(uriBase);object=rsa?pin-value=1234"] + lib),
            Case(
                name: "EC P-256, certificate and key URIs by id", leaf: "leaf-ec-p256",
                flags: [
                    "--certificate", "\(uriBase);id=%01;type=cert", "--private-key",
                    "\(uriBase);id=%01;type=private?pin-value=1234",
                ] + lib),
            Case(
                name: "RSA-2048, certificate file and key URI", leaf: "leaf-rsa-2048",
                flags: ["--private-key", "\(uriBase);object=rsa?pin-value=1234"] + lib),
        ]
    }

    @Test("credential-process signs CreateSession with the token's key", arguments: cases())
    func credentialProcess(_ testCase: Case) async throws {
        let token = try SoftHSMToken.shared()
        let context = try await SharedServer.shared.context()
        var flags = testCase.flags
        if !flags.contains("--certificate") {
            flags += ["--certificate", context.pki.certificate(testCase.leaf).path]
        }
        let result = try await runProcess(
            try HelperBinary.path(),
            ["credential-process"] + flags + Self.credentialFlags(endpoint: "https://\(context.server.endpoint)"),
            environment: token.environment)
        try Self.expectIssued(result, to: testCase.leaf, context: context)
        #expect(!result.stderr.contains(SoftHSMToken.pin))
    }

    @Test("the PIN comes from pin-source; with no --pkcs11-lib, p11-kit's proxy module finds the token")
    func pinSourceAndProxyModule() async throws {
        let token = try SoftHSMToken.shared()
        let context = try await SharedServer.shared.context()
        let pinFile = token.directory.appendingPathComponent("pin")
        try "\(SoftHSMToken.pin)\n".write(to: pinFile, atomically: true, encoding: .utf8)
        let result = try await runProcess(
            try HelperBinary.path(),
            ["credential-process", "--certificate", "\(Self.uriBase);object=ec?pin-source=file:\(pinFile.path)"]
                + Self.credentialFlags(endpoint: "https://\(context.server.endpoint)"),
            environment: token.environment)
        #expect(result.status == 0, "\(result.summary)")
        #expect(try JSONValue.parse(result.stdout)["AccessKeyId"]?.string?.hasPrefix("ASIA") == true)
    }

    @Test(
        "a wrong PIN, a missing object or a missing token: exit 1, a clear error, nothing sent",
        arguments: [
            ("\(uriBase);object=ec?pin-value=9999", "wrong PIN for the PKCS#11 token \"anchorage\""),
            ("\(uriBase);object=nosuch?pin-value=1234", "no certificate on the token matches"),
            ("pkcs11:token=nosuch;object=ec?pin-value=1234", "no PKCS#11 token matches the URI"),
            ("\(uriBase);object=ec;colour=red", "unknown attribute colour"),
            ("\(uriBase);slot-description=NOPE;object=ec?pin-value=1234", "no PKCS#11 token matches the URI"),
            ("\(uriBase);slot-manufacturer=NOPE;object=ec?pin-value=1234", "no PKCS#11 token matches the URI"),
            (
                "\(uriBase);library-manufacturer=NOPE;object=ec?pin-value=1234",
                "does not match the URI's library-manufacturer"
            ),
            // Several tokens match and none has the certificate publicly: no login on a guess.
            ("pkcs11:object=nosuch?pin-value=1234", "on the 3 PKCS#11 tokens it matches"),
            // The certificate's token does not hold its key, and the key URI is the certificate's.
            ("pkcs11:object=ec-split?pin-value=1234", "no private key on the token \"anchorage\" matches"),
            // A query item without a name may be a PIN: its text never shows.
            ("\(uriBase);object=ec?SECRETPINNOEQ", "a query attribute has no value"),
            ("\(uriBase);object=ec?SECRETPIN=1", "unknown query attribute"),
        ])
    func failuresSendNothing(_ uri: String, _ message: String) async throws {
        let token = try SoftHSMToken.shared()
        let listener = try SilentListener()
        let result = try await runProcess(
            try HelperBinary.path(),
            ["credential-process", "--certificate", uri, "--pkcs11-lib", SoftHSMToken.module]
                + Self.credentialFlags(endpoint: "https://127.0.0.1:\(listener.port)"),
            environment: token.environment)
        let usage = message.hasPrefix("unknown") || message.hasPrefix("a query")
        #expect(result.status == (usage ? 64 : 1), "\(result.summary)")
        #expect(!result.stderr.contains("SECRETPIN"), "\(result.summary)")
        #expect(result.stderr.contains(message), "\(result.summary)")
        #expect(result.stdout.isEmpty)
        #expect(listener.connections() == 0)
        #expect(!result.stderr.contains("9999") && !result.stderr.contains(SoftHSMToken.pin))
    }

    @Test("a private key that is not the certificate's is refused before anything is sent")
    func mismatchedKey() async throws {
        let token = try SoftHSMToken.shared()
        let listener = try SilentListener()
        let result = try await runProcess(
            try HelperBinary.path(),
            [
                "credential-process", "--certificate", "\(Self.uriBase);object=ec", "--private-key",
                "\(Self.uriBase);object=rsa?pin-value=1234", "--pkcs11-lib", SoftHSMToken.module,
            ] + Self.credentialFlags(endpoint: "https://127.0.0.1:\(listener.port)"),
            environment: token.environment)
        #expect(result.status == 1, "\(result.summary)")
        #expect(result.stderr.contains("matches the certificate"), "\(result.summary)")
        #expect(listener.connections() == 0)
    }

    @Test(
        "sign-string with a token key and its certificate URI signs the fixed message with the public key's hash",
        arguments: [("ec", "leaf-ec-p256", "SHA384"), ("rsa", "leaf-rsa-2048", "SHA256")])
    func signString(_ object: String, _ leaf: String, _ digest: String) async throws {
        let token = try SoftHSMToken.shared()
        let dir = token.directory.appendingPathComponent("sign-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let hex = try await runProcess(
            try HelperBinary.path(),
            [
                "sign-string", "--certificate", "\(Self.uriBase);object=\(object)", "--private-key",
                "\(Self.uriBase);object=\(object)?pin-value=1234", "--pkcs11-lib", SoftHSMToken.module, "--digest",
                digest, "--format", "text",
            ], environment: token.environment)
        #expect(hex.status == 0, "\(hex.summary)")
        try await HelperTests.expectVerifies(signatureHex: hex.stdout, leaf: leaf, digest: digest, in: dir)
    }

    @Test(
        "sign-string with a token key and no certificate URI signs the fixed message without a public-key hash",
        arguments: [
            ("ec", "leaf-ec-p256", false), ("rsa", "leaf-rsa-2048", false), ("rsa", "leaf-rsa-2048", true),
        ])
    func signStringWithoutCertificateURI(_ object: String, _ leaf: String, _ certificateFile: Bool) async throws {
        let token = try SoftHSMToken.shared()
        let pki = try FixturePKI.shared()
        let dir = token.directory.appendingPathComponent("sign-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        // As the official helper: Public() is nil without a certificate URI, so the message is
        // "AWS Roles Anywhere Credential Helper Signing Test" || "1" and nothing more.
        let hex = try await runProcess(
            try HelperBinary.path(),
            ["sign-string", "--private-key", "\(Self.uriBase);object=\(object)?pin-value=1234"]
                + (certificateFile ? ["--certificate", pki.certificate(leaf).path] : [])
                + ["--pkcs11-lib", SoftHSMToken.module, "--format", "text"], environment: token.environment)
        #expect(hex.status == 0, "\(hex.summary)")
        try Data("AWS Roles Anywhere Credential Helper Signing Test1".utf8).write(
            to: dir.appendingPathComponent("msg.bin"))
        try Self.hexBytes(hex.stdout).write(to: dir.appendingPathComponent("sig.bin"))
        let pub = try await runProcess(
            "/usr/bin/env",
            ["openssl", "x509", "-in", pki.certificate(leaf).path, "-pubkey", "-noout", "-out", "\(dir.path)/pub.pem"])
        #expect(pub.status == 0, "\(pub.summary)")
        let verify = try await runProcess(
            "/usr/bin/env",
            [
                "openssl", "dgst", "-sha256", "-verify", "\(dir.path)/pub.pem", "-signature", "\(dir.path)/sig.bin",
                "\(dir.path)/msg.bin",
            ])
        #expect(verify.status == 0 && verify.stdout.contains("Verified OK"), "\(verify.summary)")
    }

    static func hexBytes(_ hex: String) -> Data {
        let characters = Array(hex.utf8)
        return Data(
            stride(from: 0, to: characters.count - 1, by: 2).compactMap {
                UInt8(String(decoding: characters[$0...$0 + 1], as: UTF8.self), radix: 16)
            })
    }

    @Test(
        "URIs matching several tokens work as the official helper's do; slot and library attributes are matched",
        arguments: [
            // SoftHSM2's spare empty slot and the second token match too: the certificate is looked for on all.
            ("pkcs11:object=ec?pin-value=1234", [String](), "leaf-ec-p256"),
            // The certificate on one token, its key on another named by the key URI.
            (
                "pkcs11:object=ec-split", ["--private-key", "pkcs11:token=split-keys;object=ec-split?pin-value=1234"],
                "leaf-ec-p256"
            ),
            // A key URI matching several tokens: the certificate's token is the key's.
            ("\(uriBase);object=rsa", ["--private-key", "pkcs11:object=rsa?pin-value=1234"], "leaf-rsa-2048"),
            ("\(uriBase);slot-manufacturer=SoftHSM%20project;object=ec?pin-value=1234", [], "leaf-ec-p256"),
            (
                "\(uriBase);library-manufacturer=SoftHSM;library-version=2.6;object=ec?pin-value=1234", [],
                "leaf-ec-p256"
            ),
        ])
    func severalTokens(_ certificate: String, _ keyFlags: [String], _ leaf: String) async throws {
        let token = try SoftHSMToken.shared()
        let context = try await SharedServer.shared.context()
        let result = try await runProcess(
            try HelperBinary.path(),
            ["credential-process", "--certificate", certificate] + keyFlags + ["--pkcs11-lib", SoftHSMToken.module]
                + Self.credentialFlags(endpoint: "https://\(context.server.endpoint)"),
            environment: token.environment)
        try Self.expectIssued(result, to: leaf, context: context)
    }

    @Test("update --once writes credentials signed by the token")
    func updateOnce() async throws {
        let token = try SoftHSMToken.shared()
        let context = try await SharedServer.shared.context()
        let file = token.directory.appendingPathComponent("credentials-\(UUID().uuidString)")
        var env = token.environment
        env["AWS_SHARED_CREDENTIALS_FILE"] = file.path
        let result = try await runProcess(
            try HelperBinary.path(),
            [
                "update", "--once", "--certificate", "\(Self.uriBase);object=rsa?pin-value=1234", "--pkcs11-lib",
                SoftHSMToken.module,
            ] + Self.credentialFlags(endpoint: "https://\(context.server.endpoint)"), environment: env)
        #expect(result.status == 0, "\(result.summary)")
        let text = try String(contentsOf: file, encoding: .utf8)
        let akid = try #require(
            text.split(separator: "\n").first { $0.hasPrefix("aws_access_key_id") }?.split(separator: "=").last
                .map { $0.trimmingCharacters(in: .whitespaces) })
        #expect(try context.server.auditEntries().contains { $0["accessKeyId"]?.string == akid })
    }

    @Test("serve answers IMDSv2 with credentials signed by the token")
    func serve() async throws {
        let token = try SoftHSMToken.shared()
        let context = try await SharedServer.shared.context()
        let helper = try BackgroundProcess(
            try HelperBinary.path(),
            [
                "serve", "--port", "0", "--certificate", "\(Self.uriBase);object=ec?pin-value=1234", "--pkcs11-lib",
                SoftHSMToken.module,
            ] + Self.credentialFlags(endpoint: "https://\(context.server.endpoint)"), environment: token.environment)
        defer { helper.stop() }
        let endpoint = try await helper.waitForLine(prefix: "export AWS_EC2_METADATA_SERVICE_ENDPOINT=")
        let raw = try await HelperTests.probe(
            ["imds", "--endpoint", endpoint], environment: ProcessInfo.processInfo.environment)
        let body = try JSONValue.parse(try #require(raw["body"]?.string, "\(raw)\n\(helper.stderr)"))
        #expect(body["Code"]?.string == "Success", "\(body)")
        let akid = try #require(body["AccessKeyId"]?.string)
        IssuedSecrets.shared.record(body["SecretAccessKey"]?.string, body["Token"]?.string)
        let entry = try #require(try context.server.auditEntries().first { $0["accessKeyId"]?.string == akid })
        #expect(entry["certificate"]?["serialHex"]?.string?.lowercased() == (try context.pki.serialHex("leaf-ec-p256")))
    }
}
