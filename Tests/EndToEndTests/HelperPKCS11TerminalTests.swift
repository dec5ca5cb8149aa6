import AnchorageTestSupport
import Foundation
import Testing

/// The PIN typed on a terminal (or not: no terminal, Ctrl-D, Ctrl-C), and tokens whose PIN is locked. The
/// helper runs under a pseudo-terminal (`Tests/Scripts/terminal_session.py`, which types the answers);
/// the locked token is a fake PKCS#11 module (`Tests/Fixtures/fake-pkcs11.c`, built here with the C
/// compiler), because SoftHSM2 keeps no PIN retry counter: after any number of wrong PINs it only sets
/// `CKF_USER_PIN_COUNT_LOW`. In the serialized PKCS#11 suite, as these tests use its SoftHSM2 token too.
extension HelperPKCS11Tests {
    /// Runs `command` through `terminal_session.py` with `options`; its JSON report.
    static func terminalSession(_ options: [String], _ command: [String], environment: [String: String])
        async throws -> JSONValue
    {
        let script = try Clients.scriptsDirectory().appendingPathComponent("terminal_session.py").path
        let result = try await runProcess(
            "/usr/bin/env", ["python3", script] + options + ["--"] + command, environment: environment, timeout: 90)
        guard result.status == 0, let json = try? JSONValue.parse(result.stdout) else {
            throw TestFailure("terminal_session.py failed: \(result.summary)")
        }
        return json
    }

    /// The prompts the helper wrote on the terminal, without the line breaks around them.
    static func prompts(_ session: JSONValue) -> [String] {
        (session["prompts"]?.array ?? []).compactMap { $0.string?.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    static let tokenPrompt = "PIN for the PKCS#11 token \"\(SoftHSMToken.label)\":"
    static let keyPrompt = "PIN for the PKCS#11 private key:"

    /// The terminal echoes what is typed until the helper turns echo off, so a PIN typed at its prompt
    /// must not come back from the terminal; echo is on again once the helper is done.
    static func expectTypedUnseen(_ session: JSONValue, _ typed: String) {
        #expect(session["terminalEchoes"]?.bool == true, "the fresh pseudo-terminal did not echo: \(session)")
        #expect(session["terminal"]?.string?.contains(typed) == false, "the typed PIN was echoed: \(session)")
        #expect(session["echoRestored"]?.bool == true, "echo stayed off after the helper: \(session)")
    }

    @Test(
        "a PIN typed at the terminal prompt is not echoed and the token signs (stdin the terminal, or /dev/null)",
        arguments: ["tty", "null"])
    func pinTypedOnTerminal(_ stdin: String) async throws {
        let token = try SoftHSMToken.shared()
        let context = try await SharedServer.shared.context()
        let session = try await Self.terminalSession(
            ["--stdin", stdin, "--answer", SoftHSMToken.pin],
            [
                try HelperBinary.path(), "credential-process", "--certificate", "\(Self.uriBase);object=ec",
                "--pkcs11-lib", SoftHSMToken.module,
            ] + Self.credentialFlags(endpoint: "https://\(context.server.endpoint)"),
            environment: token.environment)
        #expect(session["exitCode"]?.number == 0, "\(session)")
        // The prompt goes to the controlling terminal (/dev/tty), as the official helper's does, even when
        // stdin is not a terminal (an SDK running credential_process).
        #expect(Self.prompts(session) == [Self.tokenPrompt], "\(session)")
        Self.expectTypedUnseen(session, SoftHSMToken.pin)
        let json = try JSONValue.parse(try #require(session["stdout"]?.string))
        let akid = try #require(json["AccessKeyId"]?.string, "\(session)")
        IssuedSecrets.shared.record(json["SecretAccessKey"]?.string, json["SessionToken"]?.string)
        let entry = try #require(try context.server.auditEntries().first { $0["accessKeyId"]?.string == akid })
        #expect(entry["certificate"]?["serialHex"]?.string?.lowercased() == (try context.pki.serialHex("leaf-ec-p256")))
    }

    @Test("a wrong PIN typed at the prompt: asked once, not echoed, a clear error, exit 1, nothing sent")
    func wrongPINTypedOnTerminal() async throws {
        let token = try SoftHSMToken.shared()
        let listener = try SilentListener()
        let session = try await Self.terminalSession(
            ["--answer", "9999", "--answer", SoftHSMToken.pin, "--timeout", "30"],
            [
                try HelperBinary.path(), "credential-process", "--certificate", "\(Self.uriBase);object=ec",
                "--pkcs11-lib", SoftHSMToken.module,
            ] + Self.credentialFlags(endpoint: "https://127.0.0.1:\(listener.port)"),
            environment: token.environment)
        #expect(session["exitCode"]?.number == 1, "\(session)")
        // One prompt: the second answer is never asked for (the official helper asks again instead).
        #expect(Self.prompts(session) == [Self.tokenPrompt], "\(session)")
        let stderr = session["stderr"]?.string ?? ""
        #expect(stderr.contains("wrong PIN for the PKCS#11 token \"anchorage\""), "\(session)")
        #expect(!stderr.contains("9999"))
        #expect(session["stdout"]?.string == "")
        Self.expectTypedUnseen(session, "9999")
        #expect(listener.connections() == 0)
    }

    @Test("with no terminal and no PIN in the URI the helper stops at once with a clear error, nothing sent")
    func noTerminal() async throws {
        let token = try SoftHSMToken.shared()
        let listener = try SilentListener()
        // A new session without a controlling terminal, stdin /dev/null: /dev/tty cannot be opened.
        // 20 s is a generous bound for a run that takes well under a second; a hang would reach it.
        let session = try await Self.terminalSession(
            ["--no-terminal", "--timeout", "20"],
            [
                try HelperBinary.path(), "credential-process", "--certificate", "\(Self.uriBase);object=ec",
                "--pkcs11-lib", SoftHSMToken.module,
            ] + Self.credentialFlags(endpoint: "https://127.0.0.1:\(listener.port)"),
            environment: token.environment)
        #expect(session["timedOut"]?.bool == false, "the helper waited for a PIN nobody can type: \(session)")
        #expect(session["exitCode"]?.number == 1, "\(session)")
        #expect(
            session["stderr"]?.string?.contains(
                "the PKCS#11 token \"anchorage\" needs a PIN and none was typed (no terminal, or its input ended): add pin-value or pin-source to the URI, or type it at the terminal"
            ) == true, "\(session)")
        #expect(session["stdout"]?.string == "")
        #expect(listener.connections() == 0)
    }

    struct ServeCase: Sendable, CustomTestStringConvertible {
        var name: String
        var flags: [String]
        var testDescription: String { name }
    }

    @Test(
        "serve asks for the PIN once; refreshes sign without asking again",
        arguments: [
            ServeCase(
                name: "an ordinary key, without --reuse-pin (the session stays logged in)",
                flags: ["--certificate", "\(uriBase);object=ec"]),
            ServeCase(
                name: "a key that asks at every signature, with --reuse-pin (answered with the user PIN)",
                flags: ["--private-key", "\(uriBase);object=ec-always", "--reuse-pin"]),
        ])
    func serveAsksOnce(_ serveCase: ServeCase) async throws {
        let token = try SoftHSMToken.shared()
        let context = try await SharedServer.shared.context()
        var flags = serveCase.flags
        if !flags.contains("--certificate") {
            flags += ["--certificate", context.pki.certificate("leaf-ec-p256").path]
        }
        // A session name of this run's own (on the profile that accepts one) finds its CreateSessions in the
        // shared server's audit log.
        let sessionName = "pin-serve-\(UUID().uuidString.prefix(8))"
        let profile = try Self.credentialFlags(endpoint: "https://\(context.server.endpoint)")
            .map { $0 == ARNs.webProfile ? ARNs.sessionNameProfile : $0 }
        // 900 s sessions refreshed 898 s before expiry: the first refresh ~2 s after the first CreateSession.
        let session = try await Self.terminalSession(
            [
                "--answer", SoftHSMToken.pin, "--stop-on-stderr", "refreshed credentials", "--timeout", "40",
            ],
            [try HelperBinary.path(), "serve", "--port", "0", "--pkcs11-lib", SoftHSMToken.module] + flags + profile
                + [
                    "--role-session-name", sessionName, "--session-duration", "900", "--refresh-before", "898",
                ],
            environment: token.environment)
        #expect(session["stopped"]?.bool == true, "serve did not refresh: \(session)")
        #expect(session["timedOut"]?.bool == false, "\(session)")
        #expect(Self.prompts(session) == [Self.tokenPrompt], "\(session)")
        Self.expectTypedUnseen(session, SoftHSMToken.pin)
        // Both CreateSessions (the first and the refresh) reached the server, signed by the token's key.
        let serial = try context.pki.serialHex("leaf-ec-p256")
        let issued = try context.server.auditEntries().filter {
            $0["roleSessionName"]?.string == sessionName && $0["accessKeyId"]?.string != nil
        }
        #expect(issued.count >= 2, "\(issued)\n\(session)")
        #expect(issued.allSatisfy { $0["certificate"]?["serialHex"]?.string?.lowercased() == serial }, "\(issued)")
    }

    @Test("without --reuse-pin a key that asks at every signature gets its PIN asked once, then kept")
    func alwaysAuthenticateWithoutReusePin() async throws {
        let token = try SoftHSMToken.shared()
        let context = try await SharedServer.shared.context()
        // A third answer is there to be typed if the helper asked again.
        let session = try await Self.terminalSession(
            ["--answer", SoftHSMToken.pin, "--answer", SoftHSMToken.pin, "--answer", SoftHSMToken.pin],
            [
                try HelperBinary.path(), "credential-process", "--certificate",
                context.pki.certificate("leaf-ec-p256").path, "--private-key", "\(Self.uriBase);object=ec-always",
                "--pkcs11-lib", SoftHSMToken.module,
            ] + Self.credentialFlags(endpoint: "https://\(context.server.endpoint)"),
            environment: token.environment)
        #expect(session["exitCode"]?.number == 0, "\(session)")
        // The user PIN, then the key's PIN once (for the key-match probe), kept for the CreateSession signature:
        // the official helper asks for the context-specific PIN once and keeps it for the process.
        #expect(Self.prompts(session) == [Self.tokenPrompt, Self.keyPrompt], "\(session)")
        Self.expectTypedUnseen(session, SoftHSMToken.pin)
        let json = try JSONValue.parse(try #require(session["stdout"]?.string))
        let akid = try #require(json["AccessKeyId"]?.string, "\(session)")
        IssuedSecrets.shared.record(json["SecretAccessKey"]?.string, json["SessionToken"]?.string)
        #expect(try context.server.auditEntries().contains { $0["accessKeyId"]?.string == akid })
    }
}

/// The fake PKCS#11 module (`Tests/Fixtures/fake-pkcs11.c`): a token whose PIN is locked, or whose
/// `C_Login` returns a chosen result, with a log of the calls. Built once per test process with the C compiler.
enum FakePKCS11Module {
    static func path() throws -> String { try built.get() }

    /// `$CC`, `cc`, `clang` or `gcc` from PATH, else the clang the Swift toolchain ships beside `swift`.
    static func compiler() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        let directories = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        func find(_ name: String) -> String? {
            if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
            return directories.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        }
        let named = [environment["CC"]].compactMap { $0 }.filter { !$0.isEmpty } + ["cc", "clang", "gcc"]
        for name in named { if let found = find(name) { return found } }
        if let swift = find("swift") {
            let clang = URL(fileURLWithPath: swift).resolvingSymlinksInPath().deletingLastPathComponent()
                .appendingPathComponent("clang").path
            if FileManager.default.isExecutableFile(atPath: clang) { return clang }
        }
        throw TestFailure(
            "no C compiler to build Tests/Fixtures/fake-pkcs11.c: none of $CC, cc, clang, gcc in PATH, "
                + "and no clang beside swift")
    }

    private static let built: Result<String, TestFailure> = {
        do {
            let source = try FixturePKI.packageRoot().appendingPathComponent("Tests/Fixtures/fake-pkcs11.c")
            let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
                "anchorage-fake-pkcs11-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let output = dir.appendingPathComponent("fake-pkcs11.so").path
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try compiler())
            process.arguments = ["-shared", "-fPIC", "-O1", "-o", output, source.path]
            let messages = Pipe()
            process.standardOutput = messages
            process.standardError = messages
            try process.run()
            let text = messages.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw TestFailure("cannot build the fake PKCS#11 module: \(String(decoding: text, as: UTF8.self))")
            }
            return .success(output)
        } catch let error as TestFailure {
            return .failure(error)
        } catch {
            return .failure(TestFailure("\(error)"))
        }
    }()
}

/// One run of the fake module: the environment that selects its `FAKE_PKCS11_MODE` and the file it logs its calls to.
struct FakePKCS11Run {
    let directory: URL
    var environment: [String: String]

    init(mode: String) throws {
        directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
            "anchorage-fake-pkcs11-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        environment = ProcessInfo.processInfo.environment
        environment["FAKE_PKCS11_MODE"] = mode
        environment["FAKE_PKCS11_LOG"] = directory.appendingPathComponent("calls").path
    }

    /// The PKCS#11 functions the module saw called, in order.
    func calls() -> [Substring] {
        (try? String(contentsOf: directory.appendingPathComponent("calls"), encoding: .utf8))?.split(separator: "\n")
            ?? []
    }
}

extension HelperPKCS11Tests {
    struct LockedCase: Sendable, CustomTestStringConvertible {
        var name: String
        /// FAKE_PKCS11_MODE: `flag` (CKF_USER_PIN_LOCKED set), `login` (only C_Login tells), `rv=N`.
        var mode: String
        /// The command and its key flags (`{certificate}` becomes the EC leaf's certificate file).
        var arguments: [String]
        var message: String
        /// How many times the PIN is offered to the token (C_Login calls).
        var logins: Int
        var testDescription: String { name }
    }

    static let lockedKey = "pkcs11:token=fake?pin-value=1234"

    static func lockedCases() -> [LockedCase] {
        let locked = "the PKCS#11 token \"fake\" is locked (user PIN locked)"
        let withFile = ["--certificate", "{certificate}", "--private-key", lockedKey]
        return [
            LockedCase(
                name: "credential-process, token flagged locked: refused before the PIN is offered", mode: "flag",
                arguments: ["credential-process"] + withFile, message: locked, logins: 0),
            LockedCase(
                name: "credential-process, C_Login says CKR_PIN_LOCKED", mode: "login",
                arguments: ["credential-process"] + withFile, message: locked, logins: 1),
            LockedCase(
                name: "credential-process, certificate URI (no public certificate, so a login first)", mode: "login",
                arguments: ["credential-process", "--certificate", "pkcs11:token=fake;object=web?pin-value=1234"],
                message: locked, logins: 1),
            LockedCase(
                name: "serve, token flagged locked", mode: "flag", arguments: ["serve", "--port", "0"] + withFile,
                message: locked, logins: 0),
            LockedCase(
                name: "update, C_Login says CKR_PIN_LOCKED", mode: "login",
                arguments: ["update", "--once"] + withFile, message: locked, logins: 1),
            LockedCase(
                name: "C_Login says CKR_PIN_EXPIRED", mode: "rv=0xA3", arguments: ["credential-process"] + withFile,
                message: "cannot log in to the PKCS#11 token \"fake\" (CKR_PIN_EXPIRED)", logins: 1),
            LockedCase(
                name: "C_Login returns a vendor-defined code", mode: "rv=0x80000123",
                arguments: ["credential-process"] + withFile,
                message: "cannot log in to the PKCS#11 token \"fake\" (CKR 0x80000123)", logins: 1),
        ]
    }

    @Test("a locked token: a clear error naming the lock, exit 1, nothing sent", arguments: lockedCases())
    func lockedToken(_ lockedCase: LockedCase) async throws {
        let module = try FakePKCS11Module.path()
        let pki = try FixturePKI.shared()
        let listener = try SilentListener()
        var run = try FakePKCS11Run(mode: lockedCase.mode)
        let credentials = run.directory.appendingPathComponent("credentials")
        run.environment["AWS_SHARED_CREDENTIALS_FILE"] = credentials.path
        let environment = run.environment
        let arguments = lockedCase.arguments.map { $0 == "{certificate}" ? pki.certificate("leaf-ec-p256").path : $0 }
        let result = try await runProcess(
            try HelperBinary.path(),
            arguments + ["--pkcs11-lib", module]
                + Self.credentialFlags(endpoint: "https://127.0.0.1:\(listener.port)"),
            environment: environment, timeout: 30)
        #expect(result.status == 1, "\(result.summary)")
        #expect(result.stderr.contains(lockedCase.message), "\(result.summary)")
        #expect(result.stdout.isEmpty, "\(result.summary)")
        #expect(!result.stderr.contains("1234"))
        #expect(listener.connections() == 0)
        #expect(!FileManager.default.fileExists(atPath: credentials.path))
        let calls = run.calls()
        #expect(calls.contains("C_GetTokenInfo"), "the fake module was not used: \(calls)")
        #expect(calls.filter { $0 == "C_Login" }.count == lockedCase.logins, "\(calls)")
    }

    @Test("a locked token is reported without asking for a PIN at the terminal")
    func lockedTokenAsksNothing() async throws {
        let module = try FakePKCS11Module.path()
        let pki = try FixturePKI.shared()
        let listener = try SilentListener()
        var environment = ProcessInfo.processInfo.environment
        environment["FAKE_PKCS11_MODE"] = "flag"
        let session = try await Self.terminalSession(
            ["--answer", SoftHSMToken.pin, "--timeout", "20"],
            [
                try HelperBinary.path(), "credential-process", "--certificate", pki.certificate("leaf-ec-p256").path,
                "--private-key", "pkcs11:token=fake", "--pkcs11-lib", module,
            ] + Self.credentialFlags(endpoint: "https://127.0.0.1:\(listener.port)"),
            environment: environment)
        #expect(session["exitCode"]?.number == 1, "\(session)")
        #expect(Self.prompts(session).isEmpty, "\(session)")
        #expect(
            session["stderr"]?.string?.contains("the PKCS#11 token \"fake\" is locked (user PIN locked)") == true,
            "\(session)")
        #expect(listener.connections() == 0)
    }

    @Test("a PIN longer than 256 bytes typed at the prompt is an error, never a PIN cut short")
    func overlongPINTyped() async throws {
        let module = try FakePKCS11Module.path()
        let pki = try FixturePKI.shared()
        let listener = try SilentListener()
        let run = try FakePKCS11Run(mode: "rv=0")
        let environment = run.environment
        let session = try await Self.terminalSession(
            ["--answer", String(repeating: "7", count: 300), "--timeout", "20"],
            [
                try HelperBinary.path(), "credential-process", "--certificate", pki.certificate("leaf-ec-p256").path,
                "--private-key", "pkcs11:token=fake", "--pkcs11-lib", module,
            ] + Self.credentialFlags(endpoint: "https://127.0.0.1:\(listener.port)"),
            environment: environment)
        #expect(session["exitCode"]?.number == 1, "\(session)")
        #expect(
            session["stderr"]?.string?.contains("the PIN typed is longer than 256 bytes") == true, "\(session)")
        #expect(session["echoRestored"]?.bool == true, "\(session)")
        let calls = run.calls()
        #expect(calls.contains("C_GetTokenInfo"), "the fake module was not used: \(calls)")
        #expect(!calls.contains("C_Login"), "a PIN was offered to the token: \(calls)")
        #expect(listener.connections() == 0)
    }

    @Test(
        "giving up at the PIN prompt offers no PIN to the token, sends nothing and leaves the terminal echoing",
        arguments: [
            ("^D", "the input ends (Ctrl-D): a clear error, exit 1"),
            ("^C", "Ctrl-C: SIGINT ends the helper"),
        ])
    func givingUpAtPrompt(_ keys: String, _ outcome: String) async throws {
        let module = try FakePKCS11Module.path()
        let pki = try FixturePKI.shared()
        let listener = try SilentListener()
        // Every PIN the token is offered counts as wrong: a real token would count it against its retries.
        let run = try FakePKCS11Run(mode: "rv=0xA0")
        let environment = run.environment
        let session = try await Self.terminalSession(
            ["--answer", keys, "--timeout", "20"],
            [
                try HelperBinary.path(), "credential-process", "--certificate", pki.certificate("leaf-ec-p256").path,
                "--private-key", "pkcs11:token=fake", "--pkcs11-lib", module,
            ] + Self.credentialFlags(endpoint: "https://127.0.0.1:\(listener.port)"),
            environment: environment)
        #expect(Self.prompts(session) == ["PIN for the PKCS#11 token \"fake\":"], "\(session)")
        if keys == "^C" {
            #expect(session["exitCode"]?.number == -Double(SIGINT), "\(outcome): \(session)")
        } else {
            #expect(session["exitCode"]?.number == 1, "\(session)")
            #expect(
                session["stderr"]?.string?.contains("the PKCS#11 token \"fake\" needs a PIN") == true, "\(session)")
        }
        #expect(session["echoRestored"]?.bool == true, "\(outcome): echo stayed off: \(session)")
        let calls = run.calls()
        #expect(calls.contains("C_GetTokenInfo"), "the fake module was not used: \(calls)")
        #expect(!calls.contains("C_Login"), "a PIN was offered to the token: \(calls)")
        #expect(listener.connections() == 0)
    }
}
