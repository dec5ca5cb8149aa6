import AnchorageTestSupport
import Foundation
import Testing

/// Configuration reload (CONTRACT §3.3: "on reload it keeps serving the previous configuration and reports
/// the error"): SIGHUP, and the once-a-second file watch. Each test has its own server and configuration copy.
@Suite("Configuration reload end to end")
struct ReloadTests {
    static let webProfileFile = "Profiles/web.json"
    static let webReaderFile = "Profiles/roles/web-reader.json"

    /// The request whose answer reveals which configuration is in force: 201 while `web` is enabled,
    /// 403 (audit reason profile_disabled) once it is not.
    static let probe = RawRequest(leaf: "leaf-ec-p256")

    /// The first stderr log line with level "error" one of whose members names `file` and `path`.
    static func reloadError(_ server: AnchorageServerProcess, naming file: String, path: String) -> JSONValue? {
        server.logLines().first { line in
            line["level"]?.string == "error"
                && line.object?.values.contains {
                    $0.string?.contains(file) == true && $0.string?.contains(path) == true
                }
                    == true
        }
    }

    @Test(
        "SIGHUP with a broken file keeps the previous configuration; fixed + SIGHUP applies; file edits apply without a signal"
    )
    func reloadLifecycle() async throws {
        let context = try await OwnServer.start()
        let server = context.server
        let config = context.configuration
        let roleFile = config.root.appendingPathComponent(Self.webReaderFile).path

        let before = try await Clients.raw(Self.probe, context)
        try #require(before.status == 201, "before any reload: \(before.output)")

        // (a) Break the role file (unknown key) and, in the same edit, disable the profile. The broken
        // configuration must not half-load: the profile change must not take effect either.
        // The role is broken first, so a watcher tick between the two writes can only see a broken set.
        try config.editJSON(Self.webReaderFile) { $0["Arnn"] = ARNs.webReader }
        try config.editJSON(Self.webProfileFile) { $0["enabled"] = false }
        server.send(signal: SIGHUP)

        let errorLine = try await poll(for: 2) { Self.reloadError(server, naming: roleFile, path: "Arnn") }
        #expect(
            errorLine != nil,
            "no error log line naming \(roleFile) and `Arnn` within 2 s of SIGHUP; stderr:\n\(server.stderr)")
        let whileBroken = try await Clients.raw(Self.probe, context)
        #expect(
            whileBroken.status == 201,
            "a broken configuration must leave the previous one serving (no half-load): \(whileBroken.output)")
        #expect(server.process.isRunning, "the server must survive a failed reload; stderr:\n\(server.stderr)")

        // (b) Fix the role file (the profile stays disabled) and SIGHUP: within 2 s the request is denied.
        try config.editJSON(Self.webReaderFile) { $0.removeValue(forKey: "Arnn") }
        server.send(signal: SIGHUP)
        let denied = try await poll(for: 2) {
            let r = try await Clients.raw(Self.probe, context)
            return r.status == 201 ? nil : r
        }
        let d = try #require(denied, "profile disabled + SIGHUP: still 201 after 2 s; stderr:\n\(server.stderr)")
        #expect(d.status == 403, "\(d.output)")
        #expect(d.errorCode == "AccessDeniedException", "\(d.output)")
        let requestId = try #require(d.requestId)
        let entry = try #require(try server.auditEntry(requestId: requestId), "no audit line for \(requestId)")
        #expect(entry["outcome"]?.string == "denied")
        #expect(entry["reason"]?.string == "profile_disabled", "audit: \(entry)")

        // (c) No signal: re-enabling the profile in the file takes effect within 2 s (files are polled).
        try config.editJSON(Self.webProfileFile) { $0["enabled"] = true }
        let allowed = try await poll(for: 2) {
            let r = try await Clients.raw(Self.probe, context)
            return r.status == 201 ? r : nil
        }
        #expect(
            allowed != nil, "re-enabled profile not in force 2 s after the edit (no signal); stderr:\n\(server.stderr)")

        let status = await server.stop()
        #expect(status == 0, "exit status \(status); stderr:\n\(server.stderr)")
    }

    @Test("a file watch reload with a broken file is reported once and keeps serving")
    func brokenFileWithoutSignal() async throws {
        let context = try await OwnServer.start()
        let server = context.server
        let config = context.configuration
        let roleFile = config.root.appendingPathComponent(Self.webReaderFile).path

        try config.editJSON(Self.webReaderFile) { $0["Arnn"] = ARNs.webReader }
        let errorLine = try await poll(for: 2.5) { Self.reloadError(server, naming: roleFile, path: "Arnn") }
        #expect(
            errorLine != nil,
            "no error log line naming \(roleFile) and `Arnn` within 2.5 s of the edit; stderr:\n\(server.stderr)")
        let r = try await Clients.raw(Self.probe, context)
        #expect(r.status == 201, "previous configuration must keep serving: \(r.output)")
        // The watcher must not repeat the same error every second while nothing changes.
        try await Task.sleep(nanoseconds: 1_200_000_000)
        let errors = server.logLines().filter { $0["level"]?.string == "error" }
        #expect(errors.count == 1, "expected the unchanged broken file to be reported once: \(errors)")

        let status = await server.stop()
        #expect(status == 0, "exit status \(status); stderr:\n\(server.stderr)")
    }

    /// Operators often link configuration files in from elsewhere (stow, Nix, Ansible `state: link`).
    /// Editing the link's target must be noticed by the file watch like an edit of a regular file.
    @Test("without a signal, editing the target of a symlinked profile file takes effect within 2 s")
    func symlinkedFileEditIsWatched() async throws {
        let context = try await OwnServer.start()
        let server = context.server
        let config = context.configuration
        // Move web.json outside the watched directories and link it back in; SIGHUP makes sure the
        // server has loaded (and fingerprinted) the linked layout before the edit.
        let linked = config.root.appendingPathComponent("linked-web.json")
        let inPlace = config.root.appendingPathComponent(Self.webProfileFile)
        try FileManager.default.moveItem(at: inPlace, to: linked)
        try FileManager.default.createSymbolicLink(at: inPlace, withDestinationURL: linked)
        server.send(signal: SIGHUP)
        let reloaded = try await poll(for: 2) {
            server.logLines().first { $0["message"]?.string?.contains("reloaded") == true }
        }
        try #require(reloaded != nil, "the symlinked layout was not reloaded; stderr:\n\(server.stderr)")
        let before = try await Clients.raw(Self.probe, context)
        try #require(before.status == 201, "\(before.output)")

        try config.editJSON("linked-web.json") { $0["enabled"] = false }
        let denied = try await poll(for: 2) {
            let r = try await Clients.raw(Self.probe, context)
            return r.status == 201 ? nil : r
        }
        let stderr = server.stderr
        #expect(
            denied?.status == 403,
            "disabling the profile through its symlink target was not noticed within 2 s (no signal); stderr:\n\(stderr)"
        )
        _ = await server.stop()
    }
}
