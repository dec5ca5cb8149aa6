import AnchorageBasics
import Foundation

/// A `redis-server` on 127.0.0.1 (no persistence: the benchmark measures the round trip, not the disk) for the
/// `--shared-state` row, and the counts `INFO commandstats` gives.
final class RedisProcess: CPUAccounted, @unchecked Sendable {
    let process: Process
    let port: Int

    /// `/usr/bin/redis-server` or the first `redis-server` on `PATH`, when installed.
    static func locate(_ explicit: String?) -> String? {
        if let explicit { return explicit }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in ["/usr/bin"] + path.split(separator: ":").map(String.init) {
            let candidate = directory + "/redis-server"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    static func start(binary: String, work: URL) throws -> RedisProcess {
        let directory = work.appendingPathComponent("redis")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let port = try NginxProcess.freeLoopbackPort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--port", String(port), "--bind", "127.0.0.1", "--dir", directory.path, "--save", "", "--appendonly", "no",
            "--maxmemory-policy", "noeviction", "--loglevel", "warning",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = MonotonicTime.seconds + 10
        while MonotonicTime.seconds < deadline {
            if !process.isRunning { throw BenchmarkError("redis-server exited with \(process.terminationStatus)") }
            if NginxProcess.canConnect(port: port) { return RedisProcess(process: process, port: port) }
            usleep(10_000)
        }
        process.terminate()
        throw BenchmarkError("redis-server did not listen on 127.0.0.1:\(port)")
    }

    private init(process: Process, port: Int) {
        self.process = process
        self.port = port
    }

    var url: String { "redis://127.0.0.1:\(port)" }
    var cpuSeconds: Double { processCPUSeconds(process.processIdentifier) }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}
