import AnchorageBasics
import AnchorageHTTP
import Foundation

/// One `anchorage serve` child process on 127.0.0.1:0 over TLS, and its /proc figures.
final class ServerProcess: CPUAccounted, @unchecked Sendable {
    let process: Process
    let port: Int
    /// The metrics listener (`--metrics-listen 127.0.0.1:0`, plain HTTP).
    let metricsPort: Int
    let stateDirectory: URL
    let stderrURL: URL
    /// Seconds from spawning to `listening on https://…`.
    let startSeconds: Double

    var pid: Int32 { process.processIdentifier }

    static func start(
        binary: String, configuration: BenchmarkConfiguration, tlsCertificate: URL, tlsKey: URL, work: URL,
        auditSync: String, extraArguments: [String] = []
    ) throws -> ServerProcess {
        let state = work.appendingPathComponent("state-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        let outURL = state.appendingPathComponent("stdout.log")
        let errURL = state.appendingPathComponent("stderr.log")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments =
            [
                "serve", "--pki", configuration.pki.path, "--profiles", configuration.profiles.path,
                "--state-dir", state.path, "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0",
                "--tls-certificate", tlsCertificate.path, "--tls-private-key", tlsKey.path, "--log-level", "warning",
                // The crypto and decision path, not the limiter: one client sends thousands of requests per second.
                "--rate-limit-per-certificate", "0", "--rate-limit-per-source", "0", "--replay-protection", "off",
                "--audit-sync", auditSync,
            ] + extraArguments
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        process.standardInput = FileHandle.nullDevice
        let started = MonotonicTime.seconds
        try process.run()
        let deadline = started + 120
        while MonotonicTime.seconds < deadline {
            let out = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
            if let range = out.range(of: "listening on https://127.0.0.1:"),
                let metricsRange = out.range(of: "metrics on http://127.0.0.1:")
            {
                let digits = out[range.upperBound...].prefix { $0.isNumber }
                let metricsDigits = out[metricsRange.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits), port > 0, let metricsPort = Int(metricsDigits), metricsPort > 0 {
                    return ServerProcess(
                        process: process, port: port, metricsPort: metricsPort, stateDirectory: state,
                        stderrURL: errURL, startSeconds: MonotonicTime.seconds - started)
                }
            }
            if !process.isRunning {
                let err = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
                throw BenchmarkError("anchorage serve exited with \(process.terminationStatus):\n\(out)\n\(err)")
            }
            usleep(5_000)
        }
        process.terminate()
        throw BenchmarkError("anchorage serve did not start listening within 120 s")
    }

    private init(
        process: Process, port: Int, metricsPort: Int, stateDirectory: URL, stderrURL: URL, startSeconds: Double
    ) {
        self.process = process
        self.port = port
        self.metricsPort = metricsPort
        self.stateDirectory = stateDirectory
        self.stderrURL = stderrURL
        self.startSeconds = startSeconds
    }

    /// User + system CPU seconds the server has used so far (/proc/<pid>/stat fields 14 and 15).
    var cpuSeconds: Double { processCPUSeconds(pid) }

    /// The audit counters from `GET /metrics` on the metrics listener; nil when the server does not answer.
    func auditCounters() -> AuditCounters? {
        guard
            let connection = try? HTTPClientConnection(host: "127.0.0.1", port: metricsPort, tls: nil, timeout: 10)
        else { return nil }
        defer { connection.close() }
        guard let response = try? connection.send(method: "GET", target: "/metrics", headers: HTTPHeaders(), body: [])
        else { return nil }
        var records: Double?
        var flushes: Double?
        for line in String(decoding: response.body, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 2 else { continue }
            if fields[0] == "anchorage_audit_records_total" { records = Double(fields[1]) }
            if fields[0] == "anchorage_audit_flushes_total" { flushes = Double(fields[1]) }
        }
        guard let records, let flushes else { return nil }
        return AuditCounters(records: records, flushes: flushes)
    }

    /// A `Vm…` line of /proc/<pid>/status in MiB (`VmHWM` is the peak resident set).
    func memoryMiB(_ field: String) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            let kb = line.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0
            return kb / 1024
        }
        return 0
    }

    func reload() { kill(pid, SIGHUP) }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = MonotonicTime.seconds + 10
        while process.isRunning, MonotonicTime.seconds < deadline { usleep(10_000) }
        if process.isRunning { kill(pid, SIGKILL) }
    }

    var stderrText: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }
}

/// User + system CPU seconds process `pid` has used so far (/proc/<pid>/stat fields 14 and 15), 0 when gone.
func processCPUSeconds(_ pid: Int32) -> Double {
    procStatFields(pid).map { ($0.user + $0.system) / Double(sysconf(Int32(_SC_CLK_TCK))) } ?? 0
}

/// The parent pid and CPU ticks of process `pid` from /proc/<pid>/stat.
func procStatFields(_ pid: Int32) -> (parent: Int32, user: Double, system: Double)? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = text.lastIndex(of: ")")
    else { return nil }
    let fields = text[text.index(after: close)...].split(separator: " ")
    // fields[0] is field 3 (state); ppid is field 4, utime field 14, stime field 15.
    guard fields.count > 13, let parent = Int32(fields[1]), let user = Double(fields[11]),
        let system = Double(fields[12])
    else { return nil }
    return (parent, user, system)
}

/// CPU seconds of this process (the load generator).
func ownCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
        + Double(usage.ru_stime.tv_usec) / 1e6
}

/// Writes a line to standard output at once (progress shows even when stdout is a file or pipe).
func emit(_ line: String = "") {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
