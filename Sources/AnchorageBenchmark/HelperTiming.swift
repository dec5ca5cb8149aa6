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
    ///
    /// `posix_spawn` and `waitpid` directly: Foundation's `Process.waitUntilExit` polls its run loop and
    /// added tens of milliseconds to every run on Linux, more than the helper itself takes.
    private static func run(_ binary: String, _ arguments: [String]) throws -> (seconds: Double, output: String) {
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else { throw BenchmarkError("pipe: \(errno)") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
        posix_spawn_file_actions_addclose(&actions, pipeFDs[0])
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([binary] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let started = monotonicSeconds()
        let spawned = posix_spawn(&pid, binary, &actions, nil, argv, environ)
        close(pipeFDs[1])
        guard spawned == 0 else {
            close(pipeFDs[0])
            throw BenchmarkError("cannot start \(binary): \(spawned)")
        }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(pipeFDs[0], $0.baseAddress, $0.count) }
            if count > 0 {
                output += chunk[0..<count]
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                break
            }
        }
        close(pipeFDs[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let seconds = monotonicSeconds() - started
        // WIFEXITED and WEXITSTATUS: the low 7 bits are the terminating signal, the next 8 the exit code.
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            throw BenchmarkError("\(binary) \(arguments.first ?? "") failed with wait status \(status)")
        }
        return (seconds, String(decoding: output, as: UTF8.self))
    }
}
