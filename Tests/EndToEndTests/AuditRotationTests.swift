import AnchorageTestSupport
import Foundation
import Testing

/// Issue 16, item 9: `audit.jsonl` renamed or deleted under a running server while clients request. Every 201
/// a client received has its record in an audit file that still exists afterwards; the server opens the path
/// again by itself (and on SIGUSR1), and counts 503s as errors.
@Suite("Audit log rotation under load end to end")
struct AuditRotationTests {
    enum Move: String, CaseIterable, Sendable {
        /// `mv audit.jsonl audit.jsonl.N`, twice, without a signal.
        case rename
        /// `rm audit.jsonl`: the records already in the deleted file are gone with it, as its deleter chose.
        case unlink
    }

    struct Answer {
        var requestId: String
        var accessKeyId: String?
        var status: Int
        var signedAt: Double
    }

    @Test(
        "a log renamed or deleted under load loses no record of a 201 answered after it",
        arguments: [(Move.rename, "data"), (Move.unlink, "data"), (Move.unlink, "none")])
    func rotationUnderLoad(move: Move, sync: String) async throws {
        let pki = try FixturePKI.shared()
        let configuration = try await TestConfiguration.write(pki: pki)
        let state = configuration.root.appendingPathComponent("rotation-state")
        let server = try await AnchorageServerProcess.start(
            configuration: configuration, pki: pki, extraArguments: ["--audit-sync", sync], stateDirectory: state)
        let context = SharedServer.Context(pki: pki, configuration: configuration, server: server)
        let out = configuration.root.appendingPathComponent("rotation-client.jsonl")
        let stop = configuration.root.appendingPathComponent("rotation-client.stop")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        let client = Process()
        client.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        client.arguments = [
            "python3", try Clients.scriptsDirectory().appendingPathComponent("crash_client.py").path,
            "--endpoint", server.endpoint, "--ca-bundle", pki.caBundle.path,
            "--certificate", pki.certificate("leaf-ec-p256").path,
            "--private-key", pki.privateKey("leaf-ec-p256").path, "--threads", "6", "--seconds", "180",
            "--out", out.path, "--stop-file", stop.path,
        ]
        client.environment = Clients.environment(caBundle: pki.caBundle)
        let summary = configuration.root.appendingPathComponent("rotation-client.summary")
        _ = FileManager.default.createFile(atPath: summary.path, contents: nil)
        client.standardOutput = try FileHandle(forWritingTo: summary)
        client.standardError = FileHandle.nullDevice
        try client.run()
        // Load is flowing once the first answers are in.
        _ = try await poll(for: 20, every: 0.02) { ((try? Data(contentsOf: out).count) ?? 0) > 200 ? true : nil }

        let log = server.auditLogURL.path
        var movedAt: [Double] = []
        for round in 1...(move == .rename ? 2 : 1) {
            try await Task.sleep(nanoseconds: 1_000_000_000)
            switch move {
            case .rename: #expect(rename(log, log + ".\(round)") == 0, "errno \(errno)")
            case .unlink: #expect(unlink(log) == 0, "errno \(errno)")
            }
            movedAt.append(Date().timeIntervalSince1970)
        }
        // Enough credentials issued after the last move (generous bound: a loaded machine is slow), then stop.
        let lastMove = movedAt.last!
        // Only the lines added since the last look are parsed: the test must not keep a core busy itself.
        var linesSeen = 0
        var issuedAfter = 0
        let enoughAfter = try await poll(for: 90, every: 0.2) { () -> Bool? in
            let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
            // The last line may still be being written: only lines that end with a newline count.
            let complete = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            for line in complete.dropFirst(linesSeen) {
                if let entry = try? JSONValue.parse(String(line)), entry["accessKeyId"] != nil,
                    (entry["signedAt"]?.number ?? 0) > lastMove
                {
                    issuedAfter += 1
                }
            }
            linesSeen = complete.count
            return issuedAfter >= 20 ? true : nil
        }
        #expect(enoughAfter == true, "20 credentials issued after the last move")
        _ = FileManager.default.createFile(atPath: stop.path, contents: nil)
        while client.isRunning { try await Task.sleep(nanoseconds: 20_000_000) }

        // A quiet server reopens a moved log within the second too, and is ready again.
        try await Task.sleep(nanoseconds: 300_000_000)
        // (After a deletion, the records since it are kept under another name first: they are checked below.)
        if move == .unlink { #expect(link(log, log + ".kept") == 0) }
        if move == .rename { #expect(rename(log, log + ".3") == 0) } else { #expect(unlink(log) == 0) }
        let ready = try await poll(for: 10, every: 0.2) { () -> Bool? in
            let probe = try await Clients.probe("request", ["--path", "/readyz"], context)
            return probe["status"]?.number == 200 && FileManager.default.fileExists(atPath: log) ? true : nil
        }
        #expect(ready == true, "/readyz after the log was moved with no traffic")
        // SIGUSR1 reopens the path on demand.
        #expect(rename(log, log + ".4") == 0)
        server.send(signal: SIGUSR1)
        let reopened = try await poll(for: 10, every: 0.1) { FileManager.default.fileExists(atPath: log) ? true : nil }
        #expect(reopened == true, "SIGUSR1 opens the path again")
        let after = try await Clients.raw(RawRequest(leaf: "leaf-ec-p256"), context)
        #expect(after.status == 201, "\(after.output)")
        let metrics = try await MetricsSnapshot.fetch(context)
        #expect(await server.stop() == 0)

        var answers: [Answer] = []
        for line in try String(contentsOf: out, encoding: .utf8).split(separator: "\n") {
            let entry = try JSONValue.parse(String(line))
            answers.append(
                Answer(
                    requestId: entry["requestId"]?.string ?? "", accessKeyId: entry["accessKeyId"]?.string,
                    status: Int(entry["status"]?.number ?? 201), signedAt: entry["signedAt"]?.number ?? 0))
        }
        if let id = after.requestId {
            answers.append(Answer(requestId: id, accessKeyId: nil, status: 201, signedAt: .infinity))
        }
        // Every audit file that exists now, whole lines of complete JSON.
        var recorded: [String: String] = [:]  // requestId → accessKeyId ("" when denied)
        let files = try FileManager.default.contentsOfDirectory(atPath: state.path).filter {
            $0.hasPrefix("audit.jsonl")
        }
        for file in files {
            let text = try String(contentsOf: state.appendingPathComponent(file), encoding: .utf8)
            #expect(text.isEmpty || text.hasSuffix("\n"), "\(file) ends inside a record")
            for line in text.split(separator: "\n") {
                let entry = try JSONValue.parse(String(line))
                if let id = entry["requestId"]?.string {
                    #expect(recorded[id] == nil, "\(id) recorded twice")
                    recorded[id] = entry["accessKeyId"]?.string ?? ""
                }
            }
        }
        let issued = answers.filter { $0.status == 201 }
        #expect(issued.count >= 20, "only \(issued.count) credentials issued under load")
        // Rename: every record survives somewhere. Unlink: every 201 for a request signed after the deletion
        // (the records before it went with the deleted file).
        let mustSurvive = move == .rename ? issued : issued.filter { $0.signedAt > movedAt[0] }
        #expect(mustSurvive.count >= 20, "only \(mustSurvive.count) credentials to check")
        let missing = mustSurvive.filter { answer in
            guard let key = recorded[answer.requestId] else { return true }
            return answer.accessKeyId.map { $0 != key } ?? false
        }
        let firstMissing = missing.prefix(3).map { "\($0.requestId) signed at \($0.signedAt)" }
        #expect(
            missing.isEmpty,
            "\(missing.count) of \(mustSurvive.count) 201s without a surviving record (moved at \(movedAt)): \(firstMissing)"
        )
        // Answered 503s (if the log could not be kept for a batch) count as errors, never as allowed.
        let refused = answers.filter { $0.status == 503 }.count
        let errors = metrics.value(
            "anchorage_requests_total",
            ["operation": "CreateSession", "outcome": "error", "reason": "audit_unavailable"])
        #expect(errors == Double(refused), "\(refused) answered 503, \(errors) counted:\n\(metrics.text)")
        let allowedCount = metrics.value(
            "anchorage_requests_total", ["operation": "CreateSession", "outcome": "allowed", "reason": ""])
        // The server counts what it decided; a client that gave up on a connection (a transport error under load)
        // never saw that answer.
        let totals = try JSONValue.parse(String(contentsOf: summary, encoding: .utf8))
        let transportErrors = totals["transportErrors"]?.number ?? 0
        #expect(
            allowedCount >= Double(issued.count) && allowedCount <= Double(issued.count) + transportErrors,
            "\(issued.count) 201s and \(transportErrors) transport errors, \(allowedCount) counted allowed")
        #expect(server.logLines().contains { $0["message"]?.string == "audit log reopened" })
    }
}
