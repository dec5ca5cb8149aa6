import AnchorageTestSupport
import Foundation
import Testing

/// One row of `Tests/Scripts/hostile_requests.json` (kept next to the script that sends it, outside the test
/// target's sources so SwiftPM does not ask for it to be declared as a resource).
struct HostileCase: Sendable, CustomTestStringConvertible {
    let name: String
    let group: String
    let status: Int
    /// `X-Amzn-ErrorType` (rest-json answers: `/sessions` and HTTP-level refusals).
    let errorType: String?
    /// `<Code>` of an STS XML error.
    let stsCode: String?
    let message: String?
    /// After the response: `closed` or `usable` (keep-alive).
    let connection: String?
    /// The `reason` of the request's audit record, when the row names it.
    var auditReason: String? = nil

    var testDescription: String { "\(group)/\(name)" }

    static var tableURL: URL {
        get throws { try FixturePKI.packageRoot().appendingPathComponent("Tests/Scripts/hostile_requests.json") }
    }

    /// The table, read when the test list is built; a missing or broken file gives one failing row.
    static let all: [HostileCase] = {
        do {
            let table = try JSONValue.parse(String(contentsOf: tableURL, encoding: .utf8))
            return try (table["cases"]?.array ?? []).map { row in
                guard let name = row["name"]?.string, let expect = row["expect"], let status = expect["status"]?.number
                else { throw TestFailure("malformed row \(row)") }
                return HostileCase(
                    name: name, group: row["group"]?.string ?? "", status: Int(status),
                    errorType: expect["errorType"]?.string, stsCode: expect["stsCode"]?.string,
                    message: expect["message"]?.string, connection: expect["connection"]?.string,
                    auditReason: expect["auditReason"]?.string)
            }
        } catch {
            return [
                HostileCase(
                    name: "unreadable table: \(error)", group: "table", status: -1, errorType: nil,
                    stsCode: nil, message: nil, connection: nil)
            ]
        }
    }()
}

/// Runs the whole table once, against one server of its own, and keeps what the script observed.
actor HostileTableRun {
    static let shared = HostileTableRun()

    struct Outcome: Sendable {
        let context: SharedServer.Context
        let output: JSONValue
        let summary: String
    }

    private var running: Task<Outcome, any Error>?

    func outcome() async throws -> Outcome {
        if running == nil {
            running = Task {
                let context = try await OwnServer.start()
                let args = [
                    "table", "--endpoint", context.server.endpoint, "--ca-bundle", context.pki.caBundle.path,
                    "--pki", context.pki.directory.path, "--table", try HostileCase.tableURL.path,
                ]
                // About 2 s on an idle machine; the generous limit only matters on a badly overloaded one.
                let script = try Clients.scriptsDirectory().appendingPathComponent("hostile_client.py").path
                let result = try await runProcess(
                    "/usr/bin/env", ["python3", script] + args,
                    environment: Clients.environment(caBundle: context.pki.caBundle),
                    timeout: 180)
                guard result.status == 0, let line = result.stdout.split(separator: "\n").last,
                    let output = try? JSONValue.parse(String(line))
                else { throw TestFailure("hostile_client.py table failed: \(result.summary.prefix(4000))") }
                if let creds = output["credentials"] {
                    IssuedSecrets.shared.record(creds["secretAccessKey"]?.string, creds["sessionToken"]?.string)
                }
                return Outcome(context: context, output: output, summary: result.summary)
            }
        }
        return try await running!.value
    }
}

/// What an answer to a hostile request must never carry: audit reason codes, file paths, OpenSSL error
/// strings, parser internals, crash output.
enum LeakPatterns {
    static let reasonCodes: [String] = [
        "malformed_request", "invalid_duration", "duration_exceeds_role_maximum", "missing_authentication",
        "malformed_authorization", "unsupported_algorithm", "credential_scope_mismatch", "wrong_region",
        "date_mismatch", "clock_skew", "serial_mismatch", "key_algorithm_mismatch", "signature_mismatch",
        "unsigned_required_header", "malformed_certificate", "chain_too_long", "unknown_trust_anchor",
        "trust_anchor_disabled", "untrusted_certificate", "certificate_expired", "certificate_not_yet_valid",
        "certificate_revoked", "leaf_not_v3", "leaf_is_ca", "leaf_missing_digital_signature",
        "weak_signature_algorithm", "weak_key", "unknown_profile", "profile_disabled", "role_not_in_profile",
        "unknown_role", "trust_policy_not_allowed", "trust_policy_denied", "role_session_name_not_allowed",
        "internal_error", "missing_security_token", "invalid_token", "access_key_mismatch", "expired_token",
        "payload_hash_mismatch", "ambiguous_authentication", "signature_expired", "signature_not_yet_current",
        "source_address_mismatch", "invalid_action", "revoked", "host_not_accepted", "audit_unavailable",
    ]
    static let internals: [String] =
        [
            "/tmp/", "/home/", "/usr/", "/var/", ".swift", ".pem", ".key", "anchorage-fixtures",
            "OpenSSL", "SSL routines", "error:0", "d2i_", "X509_", "ASN1", "CryptoError", "Fatal error", "Backtrace",
            "Stack dump", "0x0000", "(byte ", "nesting deeper", "is not base64", "trailing bytes", "Swift.",
            "trust-anchors/", "Profiles/", "PKI/",
        ] + clonePath

    /// The clone's own folder, wherever it lives: a source path in an answer is a leak.
    static let clonePath: [String] = [(try? FixturePKI.packageRoot().path).map { $0 + "/" } ?? "Package.swift"]

    /// The patterns found in `body` (case-sensitive for codes, as they are written).
    static func found(in body: String) -> [String] {
        (reasonCodes + internals).filter { body.contains($0) }
    }
}

@Suite("Hostile requests end to end")
struct HostileRequestTests {
    @Test("the hostile request table has at least 60 rows with unique names")
    func tableSize() {
        #expect(HostileCase.all.count >= 60, "\(HostileCase.all.count) rows")
        #expect(Set(HostileCase.all.map(\.name)).count == HostileCase.all.count)
    }

    @Test(
        "a hostile request gets the right status and error type, leaks nothing, and leaves the server healthy",
        arguments: HostileCase.all)
    func hostileRequest(_ row: HostileCase) async throws {
        let run = try await HostileTableRun.shared.outcome()
        let observed = try #require(run.output["cases"]?[row.name], "no result for \(row.name)")
        let status = observed["status"]?.number.map { Int($0) }
        let body = observed["body"]?.string ?? ""
        let headers = observed["headers"]
        let context = "\(row.name): \(observed.description.prefix(1500))"

        #expect(observed["error"] == nil || observed["error"] == .null, "no answer (crash or hang?): \(context)")
        #expect(status == row.status, "status: \(context)")
        #expect((observed["elapsed"]?.number ?? 99) < 5, "answered within 5 s: \(context)")
        #expect(headers?["x-amzn-requestid"]?.string?.isEmpty == false, "x-amzn-RequestId: \(context)")
        if let errorType = row.errorType {
            #expect(headers?["x-amzn-errortype"]?.string == errorType, "X-Amzn-ErrorType: \(context)")
            let message = (try? JSONValue.parse(body))?["message"]?.string
            #expect(message?.isEmpty == false, "rest-json {\"message\": …}: \(context)")
            if let expected = row.message { #expect(message == expected, "message: \(context)") }
        }
        if let code = row.stsCode {
            #expect(body.contains("<Code>\(code)</Code>"), "STS <Code>: \(context)")
            #expect(headers?["content-type"]?.string?.hasPrefix("text/xml") == true, "STS XML: \(context)")
        }
        let leaks = LeakPatterns.found(in: body)
        #expect(leaks.isEmpty, "internal detail on the wire \(leaks): \(context)")
        if let connection = row.connection {
            #expect(observed["connection"]?.string == connection, "connection afterwards: \(context)")
        }
        #expect(observed["healthyAfter"]?.bool == true, "GET /healthz right after the case: \(context)")

        if let expected = row.auditReason {
            let id = try #require(headers?["x-amzn-requestid"]?.string, "no request id: \(context)")
            let entry = try run.context.server.auditEntry(requestId: id)
            #expect(entry?["reason"]?.string == expected, "audit reason: \(context)")
        }
        // The precise reason of an audited refusal stays in the audit log.
        if let id = headers?["x-amzn-requestid"]?.string, let entry = try run.context.server.auditEntry(requestId: id),
            let reason = entry["reason"]?.string
        {
            #expect(!body.contains(reason), "audit reason \(reason) on the wire: \(context)")
        }
        for secret in IssuedSecrets.shared.all where status != 201 && status != 200 {
            #expect(!body.contains(secret), "an issued secret in an error answer: \(row.name)")
        }
    }

    @Test("after the whole table the process is alive, /healthz is 200, CreateSession is 201, SIGTERM exits 0")
    func healthyAfterTheTable() async throws {
        let run = try await HostileTableRun.shared.outcome()
        let server = run.context.server
        #expect(server.process.isRunning, "the server died: \(server.stderr.suffix(3000))")
        let health = try await Clients.probe("request", ["--method", "GET", "--path", "/healthz"], run.context)
        #expect(health["status"]?.number == 200, "\(health)")
        let good = try await Clients.raw(RawRequest(leaf: "leaf-ec-p256"), run.context)
        #expect(good.status == 201, "\(good.output.prefix(2000))")
        let python = try await Clients.pythonSession(leaf: "leaf-rsa-2048", run.context)
        #expect(python["ok"]?.bool == true, "\(python)")
        // Nothing the table sent made the server log a crash, a stack trace or an OpenSSL error string.
        let stderr = server.stderr
        for pattern in ["Fatal error", "Backtrace", "Stack dump", "SSL routines"] {
            #expect(!stderr.contains(pattern), "server stderr: \(pattern)")
        }
        // The requests refused before routing (no audit record) are counted by status.
        let metrics = try await MetricsSnapshot.fetch(run.context)
        let rejected = { (status: Int) in
            metrics.value(
                "anchorage_requests_total", ["operation": "HTTP", "outcome": "rejected", "reason": "http_\(status)"])
        }
        let table = HostileCase.all
        for status in [413, 414, 431, 501, 505] {
            let rows = table.filter { $0.status == status }.count
            #expect(rejected(status) >= Double(rows), "http_\(status) counted for the \(rows) rows:\n\(metrics.text)")
        }
        let smuggling = table.filter { $0.group == "smuggling" && $0.status == 400 }.count
        #expect(rejected(400) >= Double(smuggling), "http_400 counted for the smuggling rows:\n\(metrics.text)")
        #expect(await server.stop() == 0, "clean exit on SIGTERM after the hostile table")
    }
}
