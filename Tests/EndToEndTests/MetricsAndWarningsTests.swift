import AnchorageTestSupport
import Foundation
import Testing

/// `GET /metrics` (strict Prometheus text, counters that move with the requests made) and the start-up
/// warnings for anchor certificates close to expiry and CRLs past their nextUpdate.
@Suite("Metrics and health warnings end to end")
struct MetricsAndWarningsTests {
    @Test("the metrics parser rejects what Prometheus would reject")
    func parserSelfTest() async throws {
        let pki = try FixturePKI.shared()
        let r = try await Clients.python("metrics_probe.py", ["--self-test"], caBundle: pki.caBundle)
        #expect(r.status == 0, "\(r.summary)")
    }

    @Test("/metrics parses and its counters move by exactly the requests made")
    func countersMove() async throws {
        let context = try await OwnServer.start()
        let server = context.server
        let auditedBefore = try server.auditEntries().count
        let before = try await MetricsSnapshot.fetch(context)
        for family in [
            "anchorage_requests_total", "anchorage_request_duration_seconds", "anchorage_configuration_generation",
            "anchorage_configuration_last_reload_success", "anchorage_configuration_reloads_total",
            "anchorage_trust_anchor_certificate_expiry_days", "anchorage_crl_next_update_age_seconds",
            "anchorage_http_connections", "anchorage_audit_records_total", "anchorage_audit_flushes_total",
        ] {
            #expect(before.families[family] != nil, "family \(family) missing:\n\(before.text)")
        }
        #expect(before.families["anchorage_request_duration_seconds"]?.type == "histogram")
        #expect(before.families["anchorage_requests_total"]?.type == "counter")

        // N = 3 allowed and M = 3 denied CreateSessions (two reasons), K = 2 GetCallerIdentity.
        let allowed = try await Clients.raw(RawRequest(leaf: "leaf-ec-p256", arguments: ["--repeat", "3"]), context)
        #expect(allowed.responses.map { $0["status"]?.number } == [201, 201, 201], "\(allowed.output)")
        let notInProfile = try await Clients.raw(
            RawRequest(leaf: "leaf-ec-p256", roleArn: ARNs.notInProfile, arguments: ["--repeat", "2"]), context)
        #expect(notInProfile.responses.map { $0["status"]?.number } == [403, 403], "\(notInProfile.output)")
        let disabled = try await Clients.raw(
            RawRequest(leaf: "leaf-ec-p256", profileArn: ARNs.disabledProfile), context)
        #expect(disabled.status == 403)
        let credentials = try #require(allowed.json?["credentialSet"]?[0]?["credentials"])
        let session = SessionCredentials(
            accessKeyId: try #require(credentials["accessKeyId"]?.string),
            secretAccessKey: try #require(credentials["secretAccessKey"]?.string),
            sessionToken: try #require(credentials["sessionToken"]?.string))
        for _ in 0..<2 {
            let out = try await STSClients.script("signed-call", session, context, ["--action", "GetCallerIdentity"])
            #expect(out["status"]?.number == 200, "\(out)")
        }

        let after = try await MetricsSnapshot.fetch(context)
        func delta(_ name: String, _ labels: [String: String]) -> Double {
            after.value(name, labels) - before.value(name, labels)
        }
        let requests = "anchorage_requests_total"
        #expect(delta(requests, ["operation": "CreateSession", "outcome": "allowed", "reason": ""]) == 3)
        #expect(
            delta(requests, ["operation": "CreateSession", "outcome": "denied", "reason": "role_not_in_profile"]) == 2)
        #expect(
            delta(requests, ["operation": "CreateSession", "outcome": "denied", "reason": "profile_disabled"]) == 1)
        #expect(delta(requests, ["operation": "GetCallerIdentity", "outcome": "allowed", "reason": ""]) == 2)
        let total = { (m: MetricsSnapshot) in m.samples(requests).reduce(0) { $0 + $1.value } }
        #expect(total(after) - total(before) == 8, "no other series may move:\n\(after.text)")
        let latency = "anchorage_request_duration_seconds_count"
        #expect(delta(latency, ["operation": "CreateSession"]) == 6, "\(after.text)")
        #expect(delta(latency, ["operation": "STS"]) == 2, "\(after.text)")
        // The audit log agrees with the counters.
        let audited = try server.auditEntries()
        #expect(audited.filter { $0["operation"]?.string == "CreateSession" }.count == 6)
        // Every record is counted; each answer waited for a flush (the default `--audit-sync data`), and one
        // flush may cover several records.
        let records = delta("anchorage_audit_records_total", [:])
        let flushes = delta("anchorage_audit_flushes_total", [:])
        #expect(records == Double(audited.count - auditedBefore), "\(after.text)")
        #expect(flushes >= 1 && flushes <= records, "\(records) records, \(flushes) flushes")

        // The generation gauge increases after a reload.
        let generation = after.value("anchorage_configuration_generation")
        server.send(signal: SIGHUP)
        let reloaded = try await poll(for: 3) {
            let m = try await MetricsSnapshot.fetch(context)
            return m.value("anchorage_configuration_generation") > generation ? m : nil
        }
        let m = try #require(reloaded, "generation did not increase within 3 s of SIGHUP")
        #expect(m.value("anchorage_configuration_reloads_total", ["result": "success"]) == 1)
        #expect(m.value("anchorage_configuration_last_reload_success") == 1)

        // Anchor expiry (fixture CAs end 2046-01-01) and CRL nextUpdate age (root-rsa's CRL: 2045-01-01).
        let expiry = m.samples("anchorage_trust_anchor_certificate_expiry_days")
        #expect(
            Set(expiry.compactMap { $0.labels["trust_anchor"] }) == ["rsa-root", "ec-root", "disabled"], "\(m.text)")
        let expectedDays = (parseISO8601("2046-01-01T00:00:00Z")!.timeIntervalSinceNow) / 86400
        for sample in expiry {
            #expect(abs(sample.value - expectedDays) < 1, "\(sample)")
            #expect(sample.labels["trust_anchor_arn"]?.hasPrefix("arn:aws:rolesanywhere:") == true)
            #expect(sample.labels["subject"]?.contains("Anchorage Test Root") == true)
        }
        let crl = m.samples("anchorage_crl_next_update_age_seconds")
        #expect(crl.count == 1 && crl.first?.labels["trust_anchor"] == "rsa-root", "\(m.text)")
        let expectedAge = -parseISO8601("2045-01-01T00:00:00Z")!.timeIntervalSinceNow
        #expect(abs((crl.first?.value ?? 0) - expectedAge) < 120, "\(crl)")

        // Nothing to warn about in the fixture configuration.
        let warnings = server.logLines().filter { $0["level"]?.string == "warning" }
        #expect(warnings.isEmpty, "\(server.stderr)")
        _ = await server.stop()
    }

    /// A configuration with an extra anchor whose CA expires in 30 days and whose CRL's nextUpdate is past
    /// (made with the openssl CLI).
    static func shortLivedAnchor(in configuration: TestConfiguration) async throws {
        let work = configuration.root.appendingPathComponent("short-lived-ca")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let script = #"""
            set -euo pipefail
            d=$1
            cat > "$d/ca.cnf" <<CNF
            [ req ]
            distinguished_name = dn
            prompt = no
            x509_extensions = v3
            [ dn ]
            O = Anchorage Test
            CN = Short-lived Test Root
            [ v3 ]
            basicConstraints = critical, CA:TRUE
            keyUsage = critical, keyCertSign, cRLSign
            subjectKeyIdentifier = hash
            [ ca ]
            default_ca = CA_default
            [ CA_default ]
            database = $d/index.txt
            crlnumber = $d/crlnumber
            certificate = $d/ca.pem
            private_key = $d/ca.key
            default_md = sha256
            CNF
            : > "$d/index.txt"
            echo 1000 > "$d/crlnumber"
            openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -config "$d/ca.cnf" \
                -days 30 -keyout "$d/ca.key" -out "$d/ca.pem"
            openssl ca -batch -config "$d/ca.cnf" -gencrl \
                -crl_lastupdate 20250101000000Z -crl_nextupdate 20250201000000Z -out "$d/stale.crl.pem"
            """#
        let scriptURL = work.appendingPathComponent("make.sh")
        try script.write(to: scriptURL, atomically: true, encoding: .utf8)
        let r = try await runProcess("/bin/bash", [scriptURL.path, work.path])
        try #require(r.status == 0, "\(r.summary)")
        // Registered with the admin commands, which accept a stale CRL with a warning.
        for command in [
            [
                "trust-anchor", "add", "short-lived", "--certificates", work.appendingPathComponent("ca.pem").path,
                "--arn", ARNs.trustAnchor("7d4f8513-a09e-4ea1-8d88-3b9c7f6e0a54"),
            ],
            ["crl", "import", "short-lived", work.appendingPathComponent("stale.crl.pem").path, "--name", "stale.crl"],
        ] {
            let added = try await anchorageCommand(command, configuration: configuration)
            try #require(added.status == 0, "\(added.summary)")
        }
    }

    @Test("an anchor expiring within 45 days and a stale CRL are logged as JSON warnings naming the anchor")
    func warnings() async throws {
        let pki = try FixturePKI.shared()
        let configuration = try await TestConfiguration.write(pki: pki)
        try await Self.shortLivedAnchor(in: configuration)
        let context = try await OwnServer.start(configuration: configuration)
        let server = context.server

        let expiring = server.logLines(level: "warning", containing: "trust anchor certificate expires soon")
        #expect(expiring.count == 1, "stderr:\n\(server.stderr)")
        let line = try #require(expiring.first)
        #expect(line["trustAnchor"]?.string == "short-lived")
        #expect(line["subject"]?.string?.contains("Short-lived Test Root") == true)
        #expect(["29", "30"].contains(line["daysLeft"]?.string ?? ""), "\(line)")
        #expect(line["time"]?.string != nil)
        let stale = server.logLines(level: "warning", containing: "past its nextUpdate")
        #expect(stale.count == 1, "stderr:\n\(server.stderr)")
        #expect(stale.first?["trustAnchor"]?.string == "short-lived")
        #expect(stale.first?["nextUpdate"]?.string == "2025-02-01T00:00:00Z")
        // Only the short-lived anchor is named.
        let named = server.logLines().filter { $0["level"]?.string == "warning" }.compactMap {
            $0["trustAnchor"]?.string
        }
        #expect(Set(named) == ["short-lived"], "\(server.stderr)")

        let metrics = try await MetricsSnapshot.fetch(context)
        let days = metrics.samples("anchorage_trust_anchor_certificate_expiry_days", ["trust_anchor": "short-lived"])
        #expect(days.count == 1 && (29...30.01).contains(days.first?.value ?? 0), "\(metrics.text)")
        let age = metrics.samples("anchorage_crl_next_update_age_seconds", ["trust_anchor": "short-lived"])
        #expect(age.count == 1 && (age.first?.value ?? 0) > 0, "\(metrics.text)")

        // A reload logs them again (the operator sees them after every change), still only for that anchor.
        server.send(signal: SIGHUP)
        let again = try await poll(for: 3) {
            server.logLines(level: "warning", containing: "expires soon").count == 2 ? true : nil
        }
        #expect(again != nil, "\(server.stderr)")
        _ = await server.stop()

        // --expiry-warning-days below the days left: no expiry warning; the stale CRL is still reported.
        let quiet = try await OwnServer.start(
            configuration: configuration, extraArguments: ["--expiry-warning-days", "10"])
        #expect(quiet.server.logLines(level: "warning", containing: "expires soon").isEmpty, "\(quiet.server.stderr)")
        #expect(quiet.server.logLines(level: "warning", containing: "past its nextUpdate").count == 1)
        _ = await quiet.server.stop()
    }
}
