import AnchorageTestSupport
import Foundation

/// One running `anchorage serve` child process.
final class AnchorageServerProcess: @unchecked Sendable {
    let process: Process
    let port: Int
    /// The metrics listener's port (`--metrics-listen 127.0.0.1:0`, plain HTTP).
    let metricsPort: Int
    let configuration: TestConfiguration
    let stateDirectory: URL
    let stdoutURL: URL
    let stderrURL: URL
    /// Started with `--insecure-http` (plain HTTP; clients must not use TLS).
    let insecureHTTP: Bool

    var endpoint: String { "127.0.0.1:\(port)" }
    /// Where `GET /metrics` is served (plain HTTP, never on ``endpoint``).
    var metricsEndpoint: String { "127.0.0.1:\(metricsPort)" }
    var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
    var auditLogURL: URL { stateDirectory.appendingPathComponent("audit.jsonl") }
    var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    private init(
        process: Process, port: Int, metricsPort: Int, configuration: TestConfiguration, stateDirectory: URL,
        stdoutURL: URL, stderrURL: URL, insecureHTTP: Bool
    ) {
        self.process = process
        self.port = port
        self.metricsPort = metricsPort
        self.configuration = configuration
        self.stateDirectory = stateDirectory
        self.stdoutURL = stdoutURL
        self.stderrURL = stderrURL
        self.insecureHTTP = insecureHTTP
    }

    /// Starts `anchorage serve` on 127.0.0.1:0 over TLS (or plain HTTP with `insecureHTTP`) and waits (≤ 60 s: a loaded 2-core CI machine can take long to start a process)
    /// for `listening on https://…` (`http://…`). `stateDirectory` (default: a fresh `run-*/state`) lets
    /// successive servers share one state directory.
    static func start(
        configuration: TestConfiguration, pki: FixturePKI, insecureHTTP: Bool = false, extraArguments: [String] = [],
        stateDirectory: URL? = nil
    ) async throws -> AnchorageServerProcess {
        let binary = try AnchorageBinary.url()
        let work = configuration.root.appendingPathComponent("run-\(UUID().uuidString.prefix(8))")
        let state = stateDirectory ?? work.appendingPathComponent("state")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let outURL = work.appendingPathComponent("stdout.log")
        let errURL = work.appendingPathComponent("stderr.log")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)

        let process = Process()
        process.executableURL = binary
        process.arguments = [
            "serve",
            "--pki", configuration.pki.path,
            "--profiles", configuration.profiles.path,
            "--state-dir", state.path,
            "--listen", "127.0.0.1:0",
            // Servers run in parallel: each scraper listener on a port of its own.
            "--metrics-listen", "127.0.0.1:0",
        ]
        process.arguments! +=
            insecureHTTP
            ? ["--insecure-http"]
            : ["--tls-certificate", pki.certificate("server").path, "--tls-private-key", pki.privateKey("server").path]
        // The suite sends many requests from 127.0.0.1 with the same fixture certificates, in parallel: generous
        // limits here. Replay protection is off too: parameterized tests run the same RSA key (PKCS#8, PKCS#1,
        // encrypted) with the same parameters at once, and PKCS#1 v1.5 signatures of the same request in the same
        // second are identical — a replay by definition. LimitsTests pass their own flags in `extraArguments`,
        // which come later and win.
        process.arguments! += [
            "--rate-limit-per-certificate", "100000/100000", "--rate-limit-per-source", "100000/100000",
            "--replay-protection", "off",
        ]
        process.arguments! += extraArguments
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        process.standardInput = FileHandle.nullDevice
        try runWithDefaultSignalMask(process)
        ServerRegistry.shared.register(process)

        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let out = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
            if let port = parseListeningPort(out, scheme: insecureHTTP ? "http" : "https"),
                let metricsPort = parseMetricsPort(out)
            {
                return AnchorageServerProcess(
                    process: process, port: port, metricsPort: metricsPort, configuration: configuration,
                    stateDirectory: state, stdoutURL: outURL, stderrURL: errURL,
                    insecureHTTP: insecureHTTP)
            }
            if !process.isRunning {
                let err = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
                throw TestFailure(
                    "anchorage serve exited with status \(process.terminationStatus) before listening.\n"
                        + "stdout:\n\(out)\nstderr:\n\(err)")
            }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        process.terminate()
        let err = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        let out = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
        throw TestFailure(
            "anchorage serve did not print `listening on \(insecureHTTP ? "http" : "https")://127.0.0.1:<port>` "
                + "within 60 s.\n"
                + "stdout:\n\(out)\nstderr:\n\(err)")
    }

    static func parseListeningPort(_ stdout: String, scheme: String = "https") -> Int? {
        for line in stdout.split(separator: "\n") {
            let prefix = "listening on \(scheme)://127.0.0.1:"
            guard let range = line.range(of: prefix) else { continue }
            let digits = line[range.upperBound...].prefix { $0.isNumber }
            if let port = Int(digits), port > 0 { return port }
        }
        return nil
    }

    /// The port of `metrics on http://127.0.0.1:PORT/metrics`, the line after `listening on …`.
    static func parseMetricsPort(_ stdout: String) -> Int? {
        for line in stdout.split(separator: "\n") {
            guard let range = line.range(of: "metrics on http://127.0.0.1:") else { continue }
            let digits = line[range.upperBound...].prefix { $0.isNumber }
            if let port = Int(digits), port > 0 { return port }
        }
        return nil
    }

    /// SIGTERM, then wait (≤ 15 s, then SIGKILL). Returns the exit status.
    func stop() async -> Int32 {
        ServerRegistry.shared.unregister(process)
        if process.isRunning { process.terminate() }
        let deadline = Date().addingTimeInterval(15)
        while process.isRunning && Date() < deadline {
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return -9
        }
        return process.terminationStatus
    }

    /// Sends `signal` (e.g. SIGHUP) to the server.
    func send(signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// The structured log lines on stderr (`{"time","level","message",…}`); lines that are not JSON
    /// (or not yet completely written) are skipped.
    func logLines() -> [JSONValue] {
        stderr.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)) }
    }

    // MARK: - audit log

    /// Every line of `<state-dir>/audit.jsonl` (the raw text is in `auditLogText`).
    func auditEntries() throws -> [JSONValue] {
        try auditLogText().split(separator: "\n").filter { !$0.isEmpty }.map { try JSONValue.parse(String($0)) }
    }

    func auditLogText() throws -> String {
        try String(contentsOf: auditLogURL, encoding: .utf8)
    }

    /// The audit line whose `requestId` is `requestId` (the response's `x-amzn-RequestId`).
    func auditEntry(requestId: String) throws -> JSONValue? {
        try auditEntries().first { $0["requestId"]?.string == requestId }
    }
}

/// The one server shared by every end-to-end test in this process (started on first use).
actor SharedServer {
    static let shared = SharedServer()

    struct Context: Sendable {
        let pki: FixturePKI
        let configuration: TestConfiguration
        let server: AnchorageServerProcess
    }

    private var starting: Task<Context, any Error>?

    func context() async throws -> Context {
        if starting == nil {
            starting = Task {
                let pki = try FixturePKI.shared()
                _ = try AnchorageBinary.url()
                let config = try await TestConfiguration.write(pki: pki)
                let server = try await AnchorageServerProcess.start(configuration: config, pki: pki)
                return Context(pki: pki, configuration: config, server: server)
            }
        }
        return try await starting!.value
    }
}

/// Credentials issued during this test process: the audit log must never contain any of them.
final class IssuedSecrets: @unchecked Sendable {
    static let shared = IssuedSecrets()
    private let lock = NSLock()
    private var secrets: Set<String> = []

    func record(_ values: String?...) {
        lock.lock()
        defer { lock.unlock() }
        for v in values { if let v, !v.isEmpty { secrets.insert(v) } }
    }

    var all: Set<String> {
        lock.lock()
        defer { lock.unlock() }
        return secrets
    }
}
