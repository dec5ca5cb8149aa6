import AnchorageCrypto
import Foundation

/// Wall time of `anchorage-helper credential-process`, one whole run (process start, key load, signing, a
/// new TLS connection, CreateSession, JSON out) against the benchmark's server, as a `credential_process`
/// caller sees it; and of `anchorage-helper version` for the process start alone.
enum HelperTiming {
    struct Result {
        var runs: Int
        /// Sorted seconds of each `credential-process` run.
        var credentialProcess: [Double]
        /// Sorted seconds of each `version` run.
        var version: [Double]

        static func percentile(_ sorted: [Double], _ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
        }
    }

    /// `anchorage-helper` next to the `anchorage` binary the benchmark runs, when built.
    static func locate(serverBinary: String) -> String? {
        let candidate = URL(fileURLWithPath: serverBinary).deletingLastPathComponent()
            .appendingPathComponent("anchorage-helper").path
        return FileManager.default.isExecutableFile(atPath: candidate) ? candidate : nil
    }

    static func measure(
        helper: String, runs: Int, port: Int, identity: Identity, caBundle: URL, target: Target, work: URL
    ) throws -> Result {
        let certificate = work.appendingPathComponent("helper-leaf.pem")
        let key = work.appendingPathComponent("helper-leaf-key.pem")
        try identity.certificate.pemString.write(to: certificate, atomically: false, encoding: .utf8)
        _ = FileManager.default.createFile(
            atPath: key.path, contents: Data(try identity.key.pkcs8PEM), attributes: [.posixPermissions: 0o600])
        let arguments = [
            "credential-process", "--certificate", certificate.path, "--private-key", key.path,
            "--trust-anchor-arn", target.trustAnchorArn, "--profile-arn", target.profileArn,
            "--role-arn", target.roleArn, "--endpoint", "https://127.0.0.1:\(port)", "--ca-bundle", caBundle.path,
        ]
        // One untimed run of each warms the page cache for the binary and its libraries.
        _ = try run(helper, arguments)
        _ = try run(helper, ["version"])
        var credentialProcess: [Double] = []
        var version: [Double] = []
        for _ in 0..<runs {
            let (seconds, output) = try run(helper, arguments)
            guard output.contains("\"AccessKeyId\""), output.contains("\"Version\"") else {
                throw BenchmarkError("anchorage-helper credential-process printed no credentials: \(output)")
            }
            credentialProcess.append(seconds)
            version.append(try run(helper, ["version"]).seconds)
        }
        return Result(runs: runs, credentialProcess: credentialProcess.sorted(), version: version.sorted())
    }

    /// Runs `binary` to completion; its wall time from spawn to exit and its standard output.
    private static func run(_ binary: String, _ arguments: [String]) throws -> (seconds: Double, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        let started = monotonicSeconds()
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let seconds = monotonicSeconds() - started
        guard process.terminationStatus == 0 else {
            throw BenchmarkError("\(binary) \(arguments.first ?? "") exited with \(process.terminationStatus)")
        }
        return (seconds, String(decoding: data, as: UTF8.self))
    }
}
