import AnchorageTestSupport
import Foundation
import Testing

/// `anchorage-helper` against a hostile CreateSession server and proxy (`Tests/Scripts/hostile_sessions_server.py`
/// on loopback): every hostile answer is a clean failure — exit 1 with nothing on stdout and the
/// credentials file untouched, or a 503 from `serve`, which keeps running — within bounded time and memory.
@Suite("anchorage-helper against a hostile server", .serialized)
struct HelperHostileServerTests {
    /// Resident memory the helper may reach on any hostile answer. An honest run peaks near 30 MiB;
    /// before the limits, an endless body grew the helper to 2.1 GB in 6 s.
    static let maxRSSKiB = 96 * 1024
    /// Seconds one helper run may take. Every attempt has a 2 s deadline (`--attempt-timeout 2`), there are
    /// at most 3 attempts and less than 3 s of backoff between them: about 9 s for the slowest case (slow-loris).
    static let maxSeconds = 30.0
    /// Per-attempt deadline given to the helper in these tests.
    static let attemptTimeout = "2"

    /// Hostile answers to CreateSession (the harness's case names).
    static let hostileCases: [String] = {
        var cases = [
            "negative-content-length", "overflowing-content-length", "huge-content-length", "negative-chunk-size",
            "huge-chunk-size", "endless-body", "endless-chunked-body", "endless-headers", "long-header-line",
            "endless-interim", "slow-loris", "past-expiration", "impossible-expiration",
        ]
        for field in ["accessKeyId", "secretAccessKey", "sessionToken", "expiration"] {
            for kind in ["newline", "nul", "control", "empty"] { cases.append("\(field)-\(kind)") }
        }
        return cases
    }()

    struct Run {
        let json: JSONValue
        var exitCode: Int? { json["exitCode"]?.number.map { Int($0) } }
        var stdout: String { json["stdout"]?.string ?? "" }
        var stderr: String { json["stderr"]?.string ?? "" }
        var seconds: Double { json["seconds"]?.number ?? .infinity }
        var maxRSSKiB: Int { json["maxRSSKiB"]?.number.map { Int($0) } ?? .max }
        var connections: Int { json["connections"]?.number.map { Int($0) } ?? -1 }
    }

    /// The fixture PKI, through the shared server's start-up task: calling `FixturePKI.shared()` from many
    /// parallel tests would park every cooperative thread on its one-time generation.
    static func pki() async throws -> FixturePKI { try await SharedServer.shared.context().pki }

    /// The credential flags, with the harness's `{endpoint}` placeholder.
    static func credentialFlags() async throws -> [String] {
        let pki = try await pki()
        return [
            "--certificate", pki.certificate("leaf-ec-p256").path, "--private-key", pki.privateKey("leaf-ec-p256").path,
            "--trust-anchor-arn", ARNs.rsaRootAnchor, "--profile-arn", ARNs.webProfile, "--role-arn", ARNs.webReader,
            "--endpoint", "{endpoint}", "--ca-bundle", pki.caBundle.path, "--attempt-timeout", attemptTimeout,
        ]
    }

    /// Runs the harness with `case` and the helper command line `command`.
    static func harness(
        _ name: String, _ command: [String], options: [String] = [], environment: [String: String]? = nil
    ) async throws -> Run {
        let pki = try await pki()
        let script = try Clients.scriptsDirectory().appendingPathComponent("hostile_sessions_server.py").path
        let result = try await runProcess(
            "/usr/bin/env",
            [
                "python3", script, "--certificate", pki.certificate("server").path, "--private-key",
                pki.privateKey("server").path, "--case", name,
            ] + options + ["--"] + command,
            environment: environment ?? Clients.environment(caBundle: pki.caBundle), timeout: 180)
        guard let line = result.stdout.split(separator: "\n").last, let json = try? JSONValue.parse(String(line)) else {
            throw TestFailure("hostile_sessions_server.py printed no JSON: \(result.summary)")
        }
        return Run(json: json)
    }

    /// A directory with a credentials file that holds another profile.
    static func credentialsFile() throws -> (directory: URL, file: URL, original: String) {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
            "anchorage-helper-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent("credentials")
        let original = "[other]\naws_access_key_id = AKIAOTHEREXAMPLE0001\naws_secret_access_key = keep/me\n"
        try original.write(to: file, atomically: true, encoding: .utf8)
        return (dir, file, original)
    }

    static func environment(credentialsFile: URL) async throws -> [String: String] {
        var env = Clients.environment(caBundle: try await pki().caBundle)
        env["AWS_SHARED_CREDENTIALS_FILE"] = credentialsFile.path
        return env
    }

    /// What every failed run must show: a clean error, no credentials anywhere, within the bounds.
    static func expectCleanFailure(_ run: Run, _ label: String) {
        #expect(run.exitCode == 1, "\(label): \(run.json)")
        #expect(run.stdout.isEmpty, "\(label): nothing on stdout: \(run.stdout)")
        #expect(!run.stderr.isEmpty && !run.stderr.contains("Fatal error"), "\(label): \(run.stderr)")
        #expect(
            !run.stderr.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" && $0 != "\t" },
            "\(label): no raw control character on stderr")
        #expect(!run.stderr.contains("aGVsbG8gd29ybGQ"), "\(label): no secret on stderr")
        #expect(run.seconds <= maxSeconds, "\(label): \(run.seconds) s")
        #expect(run.maxRSSKiB <= maxRSSKiB, "\(label): \(run.maxRSSKiB) KiB")
        #expect((1...3).contains(run.connections), "\(label): \(run.connections) connections")
    }

    @Test("the harness's honest answer is accepted (the control for every case below)")
    func honestServer() async throws {
        let helper = try HelperBinary.path()
        let printed = try await Self.harness(
            "honest", [helper, "credential-process"] + (try await Self.credentialFlags()))
        #expect(printed.exitCode == 0, "\(printed.json)")
        #expect(printed.stdout.hasPrefix("{\"Version\":1,\"AccessKeyId\":\"ASIAHOSTILE000000001\""))
        let (_, file, original) = try Self.credentialsFile()
        let updated = try await Self.harness(
            "honest", [helper, "update", "--once"] + (try await Self.credentialFlags()),
            environment: try await Self.environment(credentialsFile: file))
        #expect(updated.exitCode == 0, "\(updated.json)")
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.hasPrefix(original) && text.contains("[default]\naws_access_key_id = ASIAHOSTILE000000001\n"))
    }

    @Test("a hostile answer: credential-process and update exit 1, print and write nothing", arguments: hostileCases)
    func hostileAnswer(_ name: String) async throws {
        let helper = try HelperBinary.path()
        let printed = try await Self.harness(name, [helper, "credential-process"] + (try await Self.credentialFlags()))
        Self.expectCleanFailure(printed, "credential-process, \(name)")

        let (dir, file, original) = try Self.credentialsFile()
        let updated = try await Self.harness(
            name, [helper, "update", "--once"] + (try await Self.credentialFlags()),
            environment: try await Self.environment(credentialsFile: file))
        Self.expectCleanFailure(updated, "update, \(name)")
        #expect(try String(contentsOf: file, encoding: .utf8) == original, "\(name): the file is untouched")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { !$0.hasSuffix(".lock") }
                == ["credentials"], "no temporary file left")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/anchorage-pwned"))
    }

    @Test(
        "a hostile answer: serve answers 503 on IMDS and the ECS form, and keeps running",
        arguments: [
            "negative-content-length", "endless-body", "endless-interim", "sessionToken-newline",
            "accessKeyId-empty", "secretAccessKey-control", "past-expiration",
        ])
    func hostileAnswerToServe(_ name: String) async throws {
        let run = try await Self.harness(
            name, [try HelperBinary.path(), "serve", "--port", "0"] + (try await Self.credentialFlags()),
            options: ["--serve"])
        #expect(run.json["tokenStatus"]?.number == 200, "\(run.json)")
        #expect(run.json["imdsStatus"]?.number == 503, "\(run.json)")
        #expect(run.json["ecsStatus"]?.number == 503, "\(run.json)")
        for body in [run.json["imdsBody"]?.string, run.json["ecsBody"]?.string] {
            #expect(body?.contains("Success") == false && body?.contains("ASIAHOSTILE") == false, "\(body ?? "")")
        }
        #expect(run.json["running"]?.bool == true, "serve is still running: \(run.json)")
        #expect(run.maxRSSKiB <= Self.maxRSSKiB, "\(run.maxRSSKiB) KiB")
        #expect(run.seconds <= Self.maxSeconds, "\(run.seconds) s")
    }

    @Test(
        "--with-proxy: a proxy's plaintext answer after CONNECT is refused; an honest proxy works",
        arguments: ["inject", "inject-late", "plain"])
    func proxyInjection(_ mode: String) async throws {
        let run = try await Self.harness(
            "honest",
            [try HelperBinary.path(), "credential-process", "--with-proxy"] + (try await Self.credentialFlags()),
            options: ["--proxy", mode])
        #expect(!run.stdout.contains("ASIAPROXYINJECTED"), "\(run.json)")
        if mode == "plain" {
            #expect(run.exitCode == 0 && run.stdout.contains("ASIAHOSTILE000000001"), "\(run.json)")
        } else {
            Self.expectCleanFailure(run, "proxy \(mode)")
        }
    }

    @Test("a server's error text reaches stderr with its escape sequences made visible")
    func escapedErrorBody() async throws {
        let run = try await Self.harness(
            "escape-in-error", [try HelperBinary.path(), "credential-process"] + (try await Self.credentialFlags()))
        Self.expectCleanFailure(run, "escape-in-error")
        #expect(run.stderr.contains("AccessDeniedException: denied \\u{1b}]0;pwned\\u{7}"), "\(run.stderr)")
    }

    @Test(
        "credentials due for refresh on arrival: update and serve back off instead of looping",
        arguments: ["update", "serve"])
    func dueOnArrivalBacksOff(_ command: String) async throws {
        let (_, file, _) = try Self.credentialsFile()
        let extra = command == "serve" ? ["--port", "0"] : []
        // The helper runs for 6 s, then is killed; the first backoff is 2.5 to 5 s, the next 5 to 10 s.
        let run = try await Self.harness(
            "due-on-arrival", [try HelperBinary.path(), command] + extra + (try await Self.credentialFlags()),
            options: ["--timeout", "6"], environment: try await Self.environment(credentialsFile: file))
        #expect(run.exitCode == -9, "ran until killed: \(run.json)")
        #expect((2...3).contains(run.connections), "\(run.connections) CreateSession calls in 6 s: \(run.stderr)")
        #expect(run.stderr.contains("already due for refresh"), "\(run.stderr)")
    }

    @Test("an http:// endpoint gets a warning on stderr")
    func plaintextEndpointWarns() async throws {
        var flags = try await Self.credentialFlags()
        // A closed port: the warning comes before any connection.
        flags[flags.firstIndex(of: "{endpoint}")!] = "http://127.0.0.1:1"
        let run = try await runProcess(try HelperBinary.path(), ["credential-process"] + flags)
        #expect(run.status == 1 && run.stdout.isEmpty, "\(run.summary)")
        #expect(run.stderr.contains("warning: http://127.0.0.1:1 is not https://"), "\(run.stderr)")
    }
}
