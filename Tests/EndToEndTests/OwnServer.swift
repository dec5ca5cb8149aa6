import AnchorageTestSupport
import Foundation

/// A server of one's own, for tests that mutate the configuration, send signals or need other flags.
/// The configuration is a fresh copy (`$TMPDIR/anchorage-e2e-config-<uuid>/`), never the shared one.
enum OwnServer {
    /// `configuration` (default: a fresh copy) lets replicas share one; `extraArguments` go to `serve`.
    static func start(
        insecureHTTP: Bool = false, configuration: TestConfiguration? = nil, extraArguments: [String] = []
    ) async throws -> SharedServer.Context {
        let pki = try FixturePKI.shared()
        let written: TestConfiguration
        if let configuration { written = configuration } else { written = try await TestConfiguration.write(pki: pki) }
        let server = try await AnchorageServerProcess.start(
            configuration: written, pki: pki, insecureHTTP: insecureHTTP, extraArguments: extraArguments)
        return SharedServer.Context(pki: pki, configuration: written, server: server)
    }
}

extension TestConfiguration {
    /// Reads a JSON object file of this configuration, lets `edit` change it, and replaces the file
    /// atomically (written next to PKI/ and Profiles/, then renamed over it), so a running server's file
    /// watch sees either the old or the new content, never a half-written file.
    func editJSON(_ relativePath: String, _ edit: (inout [String: Any]) -> Void) throws {
        let url = root.appendingPathComponent(relativePath)
        guard var object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] else {
            throw TestFailure("\(url.path) is not a JSON object")
        }
        edit(&object)
        let temporary = root.appendingPathComponent(".edit-\(UUID().uuidString).json")
        try TestConfiguration.writeJSON(object, to: temporary)
        guard rename(temporary.path, url.path) == 0 else {
            throw TestFailure("rename \(temporary.path) -> \(url.path): errno \(errno)")
        }
    }
}
