import Foundation

/// A server of one's own, for tests that mutate the configuration, send signals or need other flags.
/// The configuration is a fresh copy (`$TMPDIR/anchorage-e2e-config-<uuid>/`), never the shared one.
enum OwnServer {
    /// `configuration` (default: a fresh copy) lets replicas share one; `extraArguments` go to `serve`.
    static func start(
        insecureHTTP: Bool = false, configuration: TestConfiguration? = nil, extraArguments: [String] = []
    ) async throws -> SharedServer.Context {
        let pki = try FixturePKI.shared()
        let configuration = try configuration ?? TestConfiguration.write(pki: pki)
        let server = try await AnchorageServerProcess.start(
            configuration: configuration, pki: pki, insecureHTTP: insecureHTTP, extraArguments: extraArguments)
        return SharedServer.Context(pki: pki, configuration: configuration, server: server)
    }
}

/// Calls `attempt` until it returns a value, or until an attempt that started at or after the deadline
/// (`seconds` from the call) returns nil; then returns nil.
///
/// The last attempt always starts after the deadline, so "not by the deadline" is only concluded from
/// a look taken after it: an attempt that starts a process can outlast a short deadline on a loaded
/// machine, and its answer describes the state when it began.
func poll<T>(
    for seconds: TimeInterval, every interval: TimeInterval = 0.05, _ attempt: () async throws -> T?
) async throws -> T? {
    let deadline = Date().addingTimeInterval(seconds)
    while true {
        let started = Date()
        if let value = try await attempt() { return value }
        if started >= deadline { return nil }
        let untilDeadline = deadline.timeIntervalSinceNow
        // Not sleeping past the deadline keeps the final look as close to it as the previous attempt allows.
        let pause = untilDeadline > 0 ? min(interval, untilDeadline) : 0
        if pause > 0 { try await Task.sleep(nanoseconds: UInt64(pause * 1_000_000_000)) }
    }
}

extension TestConfiguration {
    /// Reads a JSON object file of this configuration, lets `edit` change it, and replaces the file
    /// atomically (written next to PKI/ and Profiles/, then renamed over it), so a running server's file
    /// watch sees either the old or the new content, never a half-written file.
    func editJSON(_ relativePath: String, _ edit: (inout [String: Any]) -> Void) throws {
        let url = root.appendingPathComponent(relativePath)
        guard var object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] else {
            throw FixtureError("\(url.path) is not a JSON object")
        }
        edit(&object)
        let temporary = root.appendingPathComponent(".edit-\(UUID().uuidString).json")
        try TestConfiguration.writeJSON(object, to: temporary)
        guard rename(temporary.path, url.path) == 0 else {
            throw FixtureError("rename \(temporary.path) -> \(url.path): errno \(errno)")
        }
    }
}
