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
    }

    /// `anchorage-helper` next to the `anchorage` binary the benchmark runs, when built.
    static func locate(serverBinary: String) -> String? {
        let candidate = URL(fileURLWithPath: serverBinary).deletingLastPathComponent()
            .appendingPathComponent("anchorage-helper").path
        return FileManager.default.isExecutableFile(atPath: candidate) ? candidate : nil
    }

    /// `runs` timed runs of each, with the certificate and key in the PEM files given, trusting `caBundle`.
    static func measure(
        helper: String, runs: Int, port: Int, certificate: URL, key: URL, caBundle: URL, target: Target
    ) throws -> Result {
        let arguments = [
            "credential-process", "--certificate", certificate.path, "--private-key", key.path,
            "--trust-anchor-arn", target.trustAnchorArn, "--profile-arn", target.profileArn,
            "--role-arn", target.roleArn, "--endpoint", "https://127.0.0.1:\(port)", "--ca-bundle", caBundle.path,
        ]
        // One untimed run of each warms the page cache for the binary and its libraries.
        _ = try runSucceeding(helper, arguments)
        _ = try runSucceeding(helper, ["version"])
        var credentialProcess: [Double] = []
        var version: [Double] = []
        for _ in 0..<runs {
            let (seconds, output) = try runSucceeding(helper, arguments)
            guard output.contains("\"AccessKeyId\""), output.contains("\"Version\"") else {
                throw BenchmarkError("anchorage-helper credential-process printed no credentials: \(output)")
            }
            credentialProcess.append(seconds)
            version.append(try runSucceeding(helper, ["version"]).seconds)
        }
        return Result(runs: runs, credentialProcess: credentialProcess.sorted(), version: version.sorted())
    }

    private static func runSucceeding(_ binary: String, _ arguments: [String]) throws -> (
        seconds: Double, output: String
    ) {
        let run = try ChildProcess.run(binary, arguments)
        guard run.exitStatus == 0 else {
            throw BenchmarkError("\(binary) \(arguments.first ?? "") failed with exit status \(run.exitStatus)")
        }
        return (run.seconds, run.output)
    }
}
