import AnchorageTestSupport
import Foundation
import Testing

/// Slow clients and the connection limit, against servers of their own (`Tests/Scripts/hostile_client.py`).
///
/// The server's deadlines (TLSAndLimits.md, "TLS and connection limits"): the header section must be complete 10 s after
/// its first byte — or after accept, which also bounds a TLS handshake — whatever the pace of the bytes.
@Suite("Exhaustion end to end")
struct ExhaustionTests {
    static func script(_ arguments: [String], _ context: SharedServer.Context) async throws -> JSONValue {
        let args =
            arguments + [
                "--endpoint", context.server.endpoint, "--ca-bundle", context.pki.caBundle.path,
                "--pki", context.pki.directory.path,
            ]
        let result = try await runProcess(
            "/usr/bin/env",
            ["python3", try Clients.scriptsDirectory().appendingPathComponent("hostile_client.py").path] + args,
            environment: Clients.environment(caBundle: context.pki.caBundle), timeout: 90)
        guard result.status == 0, let line = result.stdout.split(separator: "\n").last,
            let out = try? JSONValue.parse(String(line))
        else { throw TestFailure("hostile_client.py \(arguments.first ?? "") failed: \(result.summary.prefix(4000))") }
        return out
    }

    @Test("1,000 connections trickling a byte every 10 s do not keep a good client from credentials within 1 s")
    func slowClients() async throws {
        let context = try await OwnServer.start()
        // 200 finish the TLS handshake and trickle an HTTP request; 800 trickle a ClientHello (cheap to open,
        // so that all 1,000 are open together well inside the server's 10 s deadline).
        let arguments = [
            "slowloris", "--connections", "1000", "--tls-fraction", "0.2", "--interval", "10", "--observe", "13",
        ]
        var out = try await Self.script(arguments, context)
        // The premise: this machine opened all of them before the first reached its deadline (under a second
        // when idle). In a full parallel test run on a saturated machine it may not — then try once more, and
        // if it still cannot, say so rather than blame the server.
        func premiseHolds(_ out: JSONValue) -> Bool {
            (out["openedInSeconds"]?.number ?? 99) < 8 && out["openAfterOpening"]?.number == 1000
        }
        if !premiseHolds(out) { out = try await Self.script(arguments, context) }
        let summary = out.description.prefix(3000)
        guard premiseHolds(out) else {
            withKnownIssue("the machine was too busy to hold 1,000 connections open at once", isIntermittent: true) {
                Issue.record("opening took \(out["openedInSeconds"]?.number ?? -1) s: \(summary)")
            }
            #expect((out["probes"]?.array ?? []).allSatisfy { $0["status"]?.number == 201 }, "\(summary)")
            #expect(await context.server.stop() == 0)
            return
        }
        let probes = out["probes"]?.array ?? []
        #expect(probes.count >= 10, "\(summary)")
        // While they were open, every good request was answered 201 within a second. (Under a loaded test
        // run the first ones may reach their deadline early in the window, hence only 3.)
        let whileOpen = probes.filter { ($0["slowOpen"]?.number ?? 0) >= 900 }
        #expect(whileOpen.count >= 3, "probes made while ≥ 900 slow connections were open: \(summary)")
        for probe in probes {
            #expect(probe["status"]?.number == 201, "\(probe)")
            #expect((probe["seconds"]?.number ?? 99) < 1.0, "credentials within 1 s: \(probe)")
        }
        // The header deadline (10 s from the first byte, however slow the rest) closed every one of them;
        // the ones inside an HTTP request were told so with a 408.
        #expect(out["closedByServer"]?.number == 1000, "\(summary)")
        #expect((out["answered408"]?.number ?? 0) >= 180, "408 for the slow HTTP requests: \(summary)")
        #expect(out["after"]?["status"]?.number == 201, "\(summary)")
        #expect(context.server.process.isRunning)
        #expect(await context.server.stop() == 0)
    }

    @Test("--max-connections: one connection over the limit is closed at once; freeing slots serves clients again")
    func connectionLimit() async throws {
        let context = try await OwnServer.start(extraArguments: ["--max-connections", "20"])
        let out = try await Self.script(["limit", "--limit", "20"], context)
        #expect(out["heldAlive"]?.number == 20, "\(out)")
        #expect(out["extra"]?.string == "closed", "the 21st connection is closed by the server: \(out)")
        #expect((out["extraSeconds"]?.number ?? 99) < 1, "at once, not after a timeout: \(out)")
        #expect(out["whileFull"]?["status"] == .null, "no service while full: \(out)")
        #expect(out["afterRelease"]?["status"]?.number == 201, "\(out)")
        let health = try await Clients.probe("request", ["--method", "GET", "--path", "/healthz"], context)
        #expect(health["status"]?.number == 200, "\(health)")
        #expect(await context.server.stop() == 0)
    }

    @Test("serve --max-connections refuses a value that is not a positive whole number (exit 64)")
    func maxConnectionsUsage() async throws {
        let pki = try FixturePKI.shared()
        let configuration = try await TestConfiguration.write(pki: pki)
        let state = configuration.root.appendingPathComponent("state").path
        for bad in ["0", "-5", "many"] {
            let r = try await runProcess(
                try AnchorageBinary.url().path,
                [
                    "serve", "--pki", configuration.pki.path, "--profiles", configuration.profiles.path, "--state-dir",
                    state,
                    "--listen", "127.0.0.1:0", "--insecure-http", "--max-connections", bad,
                ], timeout: 20)
            #expect(r.status == 64, "\(r.summary)")
        }
    }
}
