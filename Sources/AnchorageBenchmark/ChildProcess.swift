import AnchorageBasics
import Foundation

/// Timed runs of short-lived child processes (the helper, `anchorage validate`).
///
/// `posix_spawn` and `waitpid` directly: Foundation's `Process.waitUntilExit` polls its run loop and added
/// tens of milliseconds to every run on Linux, more than `anchorage-helper credential-process` takes.
enum ChildProcess {
    /// Runs `binary` to completion and returns its wall time from spawn to exit, its exit status (the
    /// negated signal number when a signal ended it) and its standard output; standard input and error are
    /// `/dev/null`.
    static func run(_ binary: String, _ arguments: [String]) throws -> (
        seconds: Double, exitStatus: Int32, output: String
    ) {
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
        let started = MonotonicTime.seconds
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
        let seconds = MonotonicTime.seconds - started
        // WIFEXITED and WEXITSTATUS: the low 7 bits are the terminating signal, the next 8 the exit code.
        let exitStatus = status & 0x7f == 0 ? (status >> 8) & 0xff : -(status & 0x7f)
        return (seconds, exitStatus, String(decoding: output, as: UTF8.self))
    }
}
