import AnchorageTestSupport
import Foundation
import Testing

/// Hot reload under load: `Tests/Scripts/credential_loop.py` requests credentials continuously over one
/// keep-alive connection while the configuration is reloaded 20 times (SIGHUP alone, an edit picked up by the
/// file watch, an edit + SIGHUP, a touch picked up by the file watch — in turn; each edit toggles the unrelated
/// `disabled-profile`) with a broken edit in the middle. Not one request may fail.
///
/// About 15 s on an idle 2-core machine (half the steps wait for the once-a-second file watch); no wall-clock
/// assertion, since a loaded CI machine stretches it, but every step must be seen within 2 s.
@Suite("Hot reload under load")
struct ReloadUnderLoadTests {
    static let unrelatedProfile = "Profiles/disabled-profile.json"
    static let unrelatedRole = "Profiles/roles/not-in-profile.json"

    /// Number of "configuration reloaded" log lines so far.
    static func reloads(_ server: AnchorageServerProcess) -> Int {
        server.logLines(level: "info", containing: "configuration reloaded").count
    }

    @Test("20 reloads and a broken edit under continuous CreateSession: no failed request")
    func reloadsUnderLoad() async throws {
        let context = try await OwnServer.start()
        let server = context.server
        let config = context.configuration
        let pki = context.pki
        let work = config.root.appendingPathComponent("loop-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let stopFile = work.appendingPathComponent("stop")
        let readyFile = work.appendingPathComponent("ready")

        let script = try Clients.scriptsDirectory().appendingPathComponent("credential_loop.py").path
        let loop = Task {
            // Not Clients.python: its 60 s limit is too tight for a loop plus a slow start on a loaded machine.
            try await runProcess(
                "/usr/bin/env",
                [
                    "python3", script,
                    "--endpoint", server.endpoint, "--ca-bundle", pki.caBundle.path,
                    "--certificate", pki.certificate("leaf-ec-p256").path,
                    "--private-key", pki.privateKey("leaf-ec-p256").path,
                    "--profile-arn", ARNs.webProfile, "--role-arn", ARNs.webReader,
                    "--trust-anchor-arn", ARNs.rsaRootAnchor,
                    "--stop-file", stopFile.path, "--ready-file", readyFile.path, "--max-seconds", "120",
                ],
                environment: Clients.environment(caBundle: pki.caBundle), timeout: 150)
        }
        defer { _ = FileManager.default.createFile(atPath: stopFile.path, contents: nil) }
        let ready = try await poll(for: 60) { FileManager.default.fileExists(atPath: readyFile.path) ? true : nil }
        try #require(ready != nil, "credential_loop.py did not get a first answer within 60 s")

        var expectedGeneration = 1
        var enabled = false
        func toggleUnrelatedProfile() throws {
            enabled.toggle()
            let value = enabled
            try config.editJSON(Self.unrelatedProfile) { $0["enabled"] = value }
        }
        /// Waits until `count` reloads have been logged (≤ 2 s: the file watch runs every second).
        func awaitReloads(_ count: Int, _ what: String) async throws {
            let done = try await poll(for: 2) { Self.reloads(server) >= count ? true : nil }
            try #require(done != nil, "reload \(count) (\(what)) not logged within 2 s; stderr:\n\(server.stderr)")
        }

        for index in 0..<20 {
            if index == 10 {
                // A broken edit in the middle: the previous configuration keeps serving, the failure is logged
                // and visible in the metrics, and fixing the file brings the gauge back.
                let before = Self.reloads(server)
                try config.editJSON(Self.unrelatedRole) { $0["Arnn"] = "broken" }
                server.send(signal: SIGHUP)
                let failed = try await poll(for: 3) {
                    server.logLines(level: "error", containing: "configuration reload failed").isEmpty ? nil : true
                }
                try #require(failed != nil, "no reload error logged; stderr:\n\(server.stderr)")
                let metrics = try await MetricsSnapshot.fetch(context)
                #expect(metrics.value("anchorage_configuration_last_reload_success") == 0)
                #expect(metrics.value("anchorage_configuration_generation") == Double(expectedGeneration))
                #expect(metrics.value("anchorage_configuration_reloads_total", ["result": "failure"]) >= 1)
                let whileBroken = try await Clients.raw(RawRequest(leaf: "leaf-ec-p256"), context)
                #expect(whileBroken.status == 201, "\(whileBroken.output)")
                #expect(Self.reloads(server) == before, "a broken configuration must not be loaded")

                try config.editJSON(Self.unrelatedRole) { $0.removeValue(forKey: "Arnn") }
                expectedGeneration += 1
                try await awaitReloads(before + 1, "the fix, through the file watch")
                let fixed = try await MetricsSnapshot.fetch(context)
                #expect(fixed.value("anchorage_configuration_last_reload_success") == 1)
                #expect(fixed.value("anchorage_configuration_generation") == Double(expectedGeneration))
            }
            let before = Self.reloads(server)
            switch index % 4 {
            case 0:
                server.send(signal: SIGHUP)
            case 1:
                try toggleUnrelatedProfile()
            case 2:
                try toggleUnrelatedProfile()
                server.send(signal: SIGHUP)
            default:
                let url = config.root.appendingPathComponent(Self.unrelatedProfile)
                try FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: url.path)
            }
            try await awaitReloads(before + 1, "step \(index)")
            // An edit + SIGHUP may be seen by both the signal and the watch: one or two reloads.
            try await Task.sleep(nanoseconds: 50_000_000)
            expectedGeneration = 1 + Self.reloads(server)
        }

        _ = FileManager.default.createFile(atPath: stopFile.path, contents: nil)
        let result = try await loop.value
        let summary = try JSONValue.parse(String(result.stdout.split(separator: "\n").last ?? ""))
        let total = summary["total"]?.number ?? 0
        #expect(summary["failureCount"]?.number == 0, "failed requests during reloads: \(summary)")
        #expect(summary["statuses"]?["201"]?.number == total, "\(summary)")
        #expect(total >= 40, "the load was too light to mean anything: \(summary)")
        #expect(Self.reloads(server) >= 21, "\(Self.reloads(server)) reloads")

        let metrics = try await MetricsSnapshot.fetch(context)
        #expect(metrics.value("anchorage_configuration_generation") == Double(1 + Self.reloads(server)))
        #expect(metrics.value("anchorage_configuration_last_reload_success") == 1)
        #expect(
            metrics.value("anchorage_configuration_reloads_total", ["result": "success"])
                == Double(Self.reloads(server)))
        #expect(
            metrics.value(
                "anchorage_requests_total", ["operation": "CreateSession", "outcome": "allowed", "reason": ""])
                == total + 1, "every loop request plus the probe while broken")
        #expect(server.process.isRunning)
        _ = await server.stop()
    }
}
