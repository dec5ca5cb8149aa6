import AnchorageTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A software TPM (`swtpm socket --tpm2`) started for the test process, holding the keys that
/// `Tests/Fixtures/make-tpm-keys.sh` makes: an EC key at handle 0x81000001 and an RSA TSS2 key file.
enum SoftwareTPM {
    struct TPM: Sendable {
        let directory: URL
        let port: UInt16
        var tcti: String { "swtpm:host=127.0.0.1,port=\(port)" }
        var environment: [String: String] {
            var env = ProcessInfo.processInfo.environment
            env["TPM2TOOLS_TCTI"] = tcti
            env["TPM2OPENSSL_TCTI"] = tcti
            return env
        }
        func file(_ name: String) -> String { directory.appendingPathComponent(name).path }
    }

    static let tssPassword = "s3cret"

    static func shared() throws -> TPM { try cached.get() }

    /// Two consecutive free ports (the TPM's command and control sockets).
    private static func freePortPair() throws -> UInt16 {
        for _ in 0..<20 {
            let probe = try SilentListener()
            let next = try? SilentListener(port: probe.port &+ 1)
            if next != nil, probe.port < 65000 { return probe.port }
        }
        throw TestFailure("no two consecutive free ports for swtpm")
    }

    private static func accepts(_ port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        } == 0
    }

    private static let cached: Result<TPM, TestFailure> = {
        do {
            let pki = try FixturePKI.shared()
            let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
                "anchorage-swtpm-\(UUID().uuidString)")
            let state = dir.appendingPathComponent("state")
            try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
            let port = try freePortPair()
            let swtpm = try BackgroundProcess(
                "/usr/bin/env",
                [
                    "swtpm", "socket", "--tpm2", "--server", "type=tcp,port=\(port),bindaddr=127.0.0.1", "--ctrl",
                    "type=tcp,port=\(port + 1),bindaddr=127.0.0.1", "--tpmstate", "dir=\(state.path)", "--flags",
                    "not-need-init,startup-clear",
                ])
            var waited = 0
            while !accepts(port + 1) {
                guard swtpm.process.isRunning, waited < 200 else {
                    throw TestFailure("swtpm did not start: \(swtpm.stderr)")
                }
                usleep(50_000)
                waited += 1
            }
            let tpm = TPM(directory: dir, port: port)
            let script = try FixturePKI.packageRoot().appendingPathComponent("Tests/Fixtures/make-tpm-keys.sh")
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = [script.path, dir.path, pki.directory.path]
            p.environment = tpm.environment
            let out = Pipe()
            p.standardOutput = out
            p.standardError = out
            try p.run()
            let text = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else {
                throw TestFailure("make-tpm-keys.sh: \(String(decoding: text, as: UTF8.self))")
            }
            return .success(tpm)
        } catch let error as TestFailure {
            return .failure(error)
        } catch {
            return .failure(TestFailure("\(error)"))
        }
    }()

    /// The certificate's serial as the audit log writes it: lowercase hex of whole bytes, as `openssl x509 -serial`
    /// prints it (so a serial may start with `0`).
    static func serialHex(_ certificate: String) async throws -> String {
        let r = try await runProcess("/usr/bin/env", ["openssl", "x509", "-noout", "-serial", "-in", certificate])
        let hex = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "serial=", with: "")
        return hex.lowercased()
    }
}

/// `anchorage-helper` with TPM 2.0 keys (swtpm + the tpm2 OpenSSL provider), against a real `anchorage serve`.
/// Serialized: swtpm serves one client connection at a time.
@Suite("anchorage-helper with TPM 2.0 keys", .serialized)
struct HelperTPMTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var certificate: String
        var flags: [String]
        /// What stderr must say (nil: anything).
        var stderrContains: String? = nil
        var testDescription: String { name }
    }

    static func cases() -> [Case] {
        [
            Case(
                name: "EC P-256 at a persistent handle, no password", certificate: "handle.pem",
                flags: ["--private-key", "handle:0x81000001", "--no-tpm-key-password"]),
            Case(
                name: "RSA-2048 TSS2 key file with a password", certificate: "tss2-rsa.pem",
                flags: ["--private-key", "tss2-rsa.key", "--tpm-key-password", SoftwareTPM.tssPassword]),
            // The official helper parses the handle with strconv.ParseUint(…, 16, 32) after an optional "0x", and
            // ignores --pkcs11-lib when nothing names a pkcs11: URI (--debug says so here).
            Case(
                name: "the handle spelled without 0x, and an unused --pkcs11-lib ignored", certificate: "handle.pem",
                flags: [
                    "--private-key", "handle:81000001", "--no-tpm-key-password", "--pkcs11-lib",
                    "/nonexistent/libpkcs11.so", "--debug",
                ],
                stderrContains:
                    "--pkcs11-lib /nonexistent/libpkcs11.so is not used: neither --certificate nor --private-key is a pkcs11: URI"
            ),
            Case(
                name: "the handle spelled HANDLE:0X…", certificate: "handle.pem",
                flags: ["--private-key", "HANDLE:0X81000001", "--no-tpm-key-password"]),
        ]
    }

    @Test("credential-process signs CreateSession in the TPM", arguments: cases())
    func credentialProcess(_ testCase: Case) async throws {
        let tpm = try SoftwareTPM.shared()
        let context = try await SharedServer.shared.context()
        let flags = testCase.flags.map { $0.hasSuffix(".key") ? tpm.file($0) : $0 }
        let result = try await runProcess(
            try HelperBinary.path(),
            ["credential-process", "--certificate", tpm.file(testCase.certificate)] + flags
                + HelperPKCS11Tests.credentialFlags(endpoint: "https://\(context.server.endpoint)"),
            environment: tpm.environment)
        #expect(result.status == 0, "\(result.summary)")
        let json = try JSONValue.parse(result.stdout)
        let akid = try #require(json["AccessKeyId"]?.string, "\(result.summary)")
        IssuedSecrets.shared.record(json["SecretAccessKey"]?.string, json["SessionToken"]?.string)
        let entry = try #require(try context.server.auditEntries().first { $0["accessKeyId"]?.string == akid })
        let serial = try await SoftwareTPM.serialHex(tpm.file(testCase.certificate))
        #expect(entry["certificate"]?["serialHex"]?.string?.lowercased() == serial)
        #expect(!result.stderr.contains(SoftwareTPM.tssPassword))
        if let expected = testCase.stderrContains { #expect(result.stderr.contains(expected), "\(result.summary)") }
    }

    @Test("update --once with a TPM handle writes credentials")
    func updateOnce() async throws {
        let tpm = try SoftwareTPM.shared()
        let context = try await SharedServer.shared.context()
        var env = tpm.environment
        env["AWS_SHARED_CREDENTIALS_FILE"] = tpm.file("credentials-\(UUID().uuidString)")
        let result = try await runProcess(
            try HelperBinary.path(),
            [
                "update", "--once", "--certificate", tpm.file("handle.pem"), "--private-key", "handle:0x81000001",
                "--no-tpm-key-password",
            ] + HelperPKCS11Tests.credentialFlags(endpoint: "https://\(context.server.endpoint)"), environment: env)
        #expect(result.status == 0, "\(result.summary)")
        let text = try String(contentsOfFile: try #require(env["AWS_SHARED_CREDENTIALS_FILE"]), encoding: .utf8)
        #expect(text.contains("aws_access_key_id = ASIA") || text.contains("aws_access_key_id=ASIA"), "\(text)")
    }

    @Test(
        "a wrong TPM password, a bad handle, a flag the key file contradicts, a missing handle: an error, nothing sent",
        arguments: [
            (
                ["--private-key", "tss2-rsa.key", "--tpm-key-password", "wrong"], Int32(1),
                "wrong password for the TPM key"
            ),
            (
                ["--private-key", "handle:+81000001", "--no-tpm-key-password"], Int32(64),
                "is not a persistent TPM handle"
            ),
            (
                ["--private-key", "tss2-rsa.key", "--no-tpm-key-password"], Int32(1),
                "--no-tpm-key-password is given but the TPM key file"
            ),
            (["--private-key", "handle:0x81000002", "--no-tpm-key-password"], Int32(1), "cannot load the TPM key"),
        ])
    func failures(_ flags: [String], _ status: Int32, _ message: String) async throws {
        let tpm = try SoftwareTPM.shared()
        let listener = try SilentListener()
        let certificate = flags[1].hasPrefix("handle:") ? "handle.pem" : "tss2-rsa.pem"
        let result = try await runProcess(
            try HelperBinary.path(),
            ["credential-process", "--certificate", tpm.file(certificate)]
                + flags.map { $0.hasSuffix(".key") ? tpm.file($0) : $0 }
                + HelperPKCS11Tests.credentialFlags(endpoint: "https://127.0.0.1:\(listener.port)"),
            environment: tpm.environment)
        #expect(result.status == status, "\(result.summary)")
        #expect(result.stderr.contains(message), "\(result.summary)")
        #expect(listener.connections() == 0)
        #expect(!result.stderr.contains("wrong\n") && !result.stderr.contains(SoftwareTPM.tssPassword))
    }

    /// Runs the helper with `flags` through `terminal_session.py` (`options`: its answers, or `--no-terminal`).
    static func terminalSession(_ options: [String], _ helperArguments: [String], tpm: SoftwareTPM.TPM) async throws
        -> JSONValue
    {
        try await HelperPKCS11Tests.terminalSession(
            ["--prompt", "Password for the TPM key", "--timeout", "20"] + options,
            [try HelperBinary.path()] + helperArguments, environment: tpm.environment)
    }

    @Test(
        "with neither password flag the password is asked for on the terminal, for a handle as for a key file",
        arguments: [
            ("handle.pem", "handle:0x81000001", ""),  // the handle's key has none: Enter alone
            ("tss2-rsa.pem", "tss2-rsa.key", SoftwareTPM.tssPassword),
        ])
    func passwordTypedOnTerminal(_ certificate: String, _ key: String, _ password: String) async throws {
        let tpm = try SoftwareTPM.shared()
        let context = try await SharedServer.shared.context()
        let keyArgument = key.hasSuffix(".key") ? tpm.file(key) : key
        let session = try await Self.terminalSession(
            ["--answer", password],
            ["credential-process", "--certificate", tpm.file(certificate), "--private-key", keyArgument]
                + HelperPKCS11Tests.credentialFlags(endpoint: "https://\(context.server.endpoint)"), tpm: tpm)
        #expect(session["exitCode"]?.number == 0, "\(session)")
        #expect(HelperPKCS11Tests.prompts(session) == ["Password for the TPM key \(keyArgument):"], "\(session)")
        if !password.isEmpty { HelperPKCS11Tests.expectTypedUnseen(session, password) }
        let json = try JSONValue.parse(try #require(session["stdout"]?.string))
        let akid = try #require(json["AccessKeyId"]?.string, "\(session)")
        IssuedSecrets.shared.record(json["SecretAccessKey"]?.string, json["SessionToken"]?.string)
        #expect(try context.server.auditEntries().contains { $0["accessKeyId"]?.string == akid })
    }

    @Test("serve asks for the TPM key's password once; refreshes sign without asking again")
    func serveAsksOnce() async throws {
        let tpm = try SoftwareTPM.shared()
        let context = try await SharedServer.shared.context()
        let serial = try await SoftwareTPM.serialHex(tpm.file("tss2-rsa.pem"))
        func issued() throws -> Int {
            try context.server.auditEntries().filter {
                $0["accessKeyId"]?.string != nil && $0["certificate"]?["serialHex"]?.string?.lowercased() == serial
            }.count
        }
        let before = try issued()
        // 900 s sessions refreshed 898 s before expiry: the first refresh ~2 s after the first CreateSession.
        let session = try await Self.terminalSession(
            ["--answer", SoftwareTPM.tssPassword, "--stop-on-stderr", "refreshed credentials", "--timeout", "40"],
            [
                "serve", "--port", "0", "--certificate", tpm.file("tss2-rsa.pem"), "--private-key",
                tpm.file("tss2-rsa.key"),
            ] + HelperPKCS11Tests.credentialFlags(endpoint: "https://\(context.server.endpoint)")
                + ["--session-duration", "900", "--refresh-before", "898"], tpm: tpm)
        #expect(session["stopped"]?.bool == true, "serve did not refresh: \(session)")
        #expect(session["timedOut"]?.bool == false, "\(session)")
        #expect(
            HelperPKCS11Tests.prompts(session) == ["Password for the TPM key \(tpm.file("tss2-rsa.key")):"],
            "\(session)")
        HelperPKCS11Tests.expectTypedUnseen(session, SoftwareTPM.tssPassword)
        #expect(try issued() >= before + 2, "\(session)")
    }

    @Test(
        "with neither password flag and no terminal: a clear error at once, exit 1 (as the official helper), nothing sent",
        arguments: [
            ("handle.pem", "handle:0x81000001", "may need a password and none was typed"),
            ("tss2-rsa.pem", "tss2-rsa.key", "needs a password and none was typed"),
        ])
    func noTerminalForPassword(_ certificate: String, _ key: String, _ message: String) async throws {
        let tpm = try SoftwareTPM.shared()
        let listener = try SilentListener()
        let session = try await Self.terminalSession(
            ["--no-terminal"],
            [
                "credential-process", "--certificate", tpm.file(certificate), "--private-key",
                key.hasSuffix(".key") ? tpm.file(key) : key,
            ] + HelperPKCS11Tests.credentialFlags(endpoint: "https://127.0.0.1:\(listener.port)"), tpm: tpm)
        #expect(session["timedOut"]?.bool == false, "\(session)")
        #expect(session["exitCode"]?.number == 1, "\(session)")
        #expect(session["stderr"]?.string?.contains(message) == true, "\(session)")
        #expect(session["stdout"]?.string == "")
        #expect(listener.connections() == 0)
    }

    @Test("a TSS2 key file that records no password (emptyAuth): used without one; a password given is refused")
    func emptyAuthKeyFile() async throws {
        let tpm = try SoftwareTPM.shared()
        let key = tpm.file("tss2-nopw-\(UUID().uuidString).key")
        let made = try await runProcess(
            "/usr/bin/env",
            [
                "openssl", "genpkey", "-provider", "tpm2", "-provider", "default", "-algorithm", "EC", "-pkeyopt",
                "group:P-256", "-out", key,
            ], environment: tpm.environment)
        try #require(made.status == 0, "\(made.summary)")
        let signed = try await runProcess(
            try HelperBinary.path(), ["sign-string", "--private-key", key, "--format", "text"],
            environment: tpm.environment)
        #expect(signed.status == 0, "\(signed.summary)")
        #expect(!signed.stdout.isEmpty)
        // An empty password is none, as in the official helper (which checks `password != ""`).
        let empty = try await runProcess(
            try HelperBinary.path(), ["sign-string", "--private-key", key, "--tpm-key-password", ""],
            environment: tpm.environment)
        #expect(empty.status == 0, "\(empty.summary)")
        let refused = try await runProcess(
            try HelperBinary.path(), ["sign-string", "--private-key", key, "--tpm-key-password", "x"],
            environment: tpm.environment)
        #expect(refused.status == 1, "\(refused.summary)")
        #expect(
            refused.stderr.contains(
                "--tpm-key-password is given but the TPM key file \(key) records that its key has no password"),
            "\(refused.summary)")
        #expect(refused.stdout.isEmpty)
    }

    /// `tpm2_dictionarylockout` on the test TPM (its lockout authorisation is empty).
    static func dictionaryLockout(_ arguments: [String], tpm: SoftwareTPM.TPM) async throws {
        let result = try await runProcess(
            "/usr/bin/env", ["tpm2_dictionarylockout"] + arguments, environment: tpm.environment)
        guard result.status == 0 else { throw TestFailure("tpm2_dictionarylockout: \(result.summary)") }
    }

    @Test("a TPM in dictionary-attack lockout is reported as such, not as a wrong password; nothing sent")
    func lockout() async throws {
        let tpm = try SoftwareTPM.shared()
        // One failure locks the TPM out (swtpm allows 3); the defaults and a clear lockout are put back after.
        try await Self.dictionaryLockout(["--clear-lockout", "--setup-parameters", "--max-tries=1"], tpm: tpm)
        func attempts() async throws -> (ProcessResult, ProcessResult, Int) {
            let sign = ["sign-string", "--private-key", tpm.file("tss2-rsa.key"), "--tpm-key-password"]
            let wrong = try await runProcess(try HelperBinary.path(), sign + ["wrong"], environment: tpm.environment)
            let listener = try SilentListener()
            let locked = try await runProcess(
                try HelperBinary.path(),
                [
                    "credential-process", "--certificate", tpm.file("tss2-rsa.pem"), "--private-key",
                    tpm.file("tss2-rsa.key"), "--tpm-key-password", SoftwareTPM.tssPassword,
                ] + HelperPKCS11Tests.credentialFlags(endpoint: "https://127.0.0.1:\(listener.port)"),
                environment: tpm.environment)
            return (wrong, locked, listener.connections())
        }
        let outcome: Result<(ProcessResult, ProcessResult, Int), any Error>
        do { outcome = .success(try await attempts()) } catch { outcome = .failure(error) }
        try await Self.dictionaryLockout(
            [
                "--clear-lockout", "--setup-parameters", "--max-tries=3", "--recovery-time=1000",
                "--lockout-recovery-time=1000",
            ],
            tpm: tpm)
        let (wrong, locked, connections) = try outcome.get()
        #expect(wrong.status == 1 && wrong.stderr.contains("wrong password for the TPM key"), "\(wrong.summary)")
        #expect(locked.status == 1, "\(locked.summary)")
        #expect(locked.stderr.contains("the TPM is in dictionary-attack lockout"), "\(locked.summary)")
        #expect(!locked.stderr.contains("wrong password for"), "\(locked.summary)")
        #expect(connections == 0)
    }
}

/// What `anchorage-helper` says about an argument that holds a secret in the wrong place: never the secret.
@Suite("anchorage-helper keeps secrets out of usage errors")
struct HelperArgumentSecretTests {
    @Test(
        "a pkcs11: URI with a pin-value given as an argument, or as the command; a PIN given to a switch",
        arguments: [
            ["sign-string", "--pkcs11-lib", "m.so", "pkcs11:token=tokA;object=ec?pin-value=SECRETPIN"],
            ["pkcs11:token=tokA;object=ec?pin-value=SECRETPIN"],
            ["credential-process", "--reuse-pin", "SECRETPIN"],
        ])
    func noSecretInUsageErrors(_ arguments: [String]) async throws {
        let result = try await runProcess(try HelperBinary.path(), arguments)
        #expect(result.status == 64, "\(result.summary)")
        #expect(!result.stderr.contains("SECRETPIN"), "\(result.summary)")
        #expect(result.stderr.contains("pin-value=…") || result.stderr.contains("--reuse-pin takes no value"))
    }
}
