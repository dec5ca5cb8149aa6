public import Foundation

/// The outcome of a finished child process.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public var commandLine: String

    public init(status: Int32, stdout: String, stderr: String, commandLine: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
        self.commandLine = commandLine
    }

    public var summary: String { "`\(commandLine)` exited \(status)\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }
}

/// Runs a child process to completion without blocking a cooperative thread. Output goes to temporary
/// files (no pipe can fill up and stall the child); the child is killed after `timeout`.
public func runProcess(
    _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
    currentDirectory: URL? = nil, timeout: TimeInterval = 60
) async throws -> ProcessResult {
    let dir = URL(fileURLWithPath: NSTemporaryDirectory())
        .appendingPathComponent("anchorage-e2e-proc-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let outURL = dir.appendingPathComponent("stdout")
    let errURL = dir.appendingPathComponent("stderr")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let outHandle = try FileHandle(forWritingTo: outURL)
    let errHandle = try FileHandle(forWritingTo: errURL)

    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    if let currentDirectory { process.currentDirectoryURL = currentDirectory }
    process.standardOutput = outHandle
    process.standardError = errHandle
    process.standardInput = FileHandle.nullDevice
    let commandLine = ([executable] + arguments).joined(separator: " ")

    let status: Int32 = try await withCheckedThrowingContinuation { continuation in
        process.terminationHandler = { p in continuation.resume(returning: p.terminationStatus) }
        do {
            try process.run()
        } catch {
            process.terminationHandler = nil
            continuation.resume(throwing: TestFailure("cannot start \(commandLine): \(error)"))
            return
        }
        let pid = process.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
            if process.isRunning, process.processIdentifier == pid { kill(pid, SIGKILL) }
        }
    }
    try? outHandle.close()
    try? errHandle.close()
    let stdout = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
    let stderr = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
    return ProcessResult(status: status, stdout: stdout, stderr: stderr, commandLine: commandLine)
}

/// Starts `process` with an empty signal mask. Threads of the test runner block SIGTERM and other signals,
/// Foundation's `Process` spawns the child from the calling thread without resetting the mask, and a
/// blocked mask survives exec: the server would never see the SIGTERM the lifecycle test sends.
public func runWithDefaultSignalMask(_ process: Process) throws {
    var empty = sigset_t()
    var saved = sigset_t()
    sigemptyset(&empty)
    pthread_sigmask(SIG_SETMASK, &empty, &saved)
    defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
    try process.run()
}

/// Child processes (servers, helpers) still running when the test process exits get SIGTERM (registered with `atexit`).
public final class ServerRegistry: @unchecked Sendable {
    public static let shared = ServerRegistry()
    private let lock = NSLock()
    private var processes: [Process] = []
    private var installed = false

    public func register(_ process: Process) {
        lock.lock()
        defer { lock.unlock() }
        processes.append(process)
        if !installed {
            installed = true
            atexit { ServerRegistry.shared.terminateAll() }
        }
    }

    public func unregister(_ process: Process) {
        lock.lock()
        defer { lock.unlock() }
        processes.removeAll { $0 === process }
    }

    public func terminateAll() {
        lock.lock()
        let all = processes
        processes.removeAll()
        lock.unlock()
        for p in all where p.isRunning { kill(p.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(5)
        for p in all {
            while p.isRunning && Date() < deadline { usleep(10_000) }
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        }
    }
}
