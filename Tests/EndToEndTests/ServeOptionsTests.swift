import AnchorageTestSupport
import Foundation
import Testing

/// `anchorage serve` start-up: refusing a bad configuration or command line, `--insecure-http`, the TLS
/// versions it speaks; and the example configuration of the repository (CONTRACT §2, §3.1, §3.3).
@Suite("anchorage serve options end to end")
struct ServeOptionsTests {
    static func serveArguments(_ config: TestConfiguration, state: URL, pki: FixturePKI) -> [String] {
        [
            "serve", "--pki", config.pki.path, "--profiles", config.profiles.path, "--state-dir", state.path,
            "--listen", "127.0.0.1:0",
            "--tls-certificate", pki.certificate("server").path, "--tls-private-key", pki.privateKey("server").path,
        ]
    }

    @Test("serve refuses to start on an invalid configuration, naming the file and the JSON path")
    func refusesInvalidConfiguration() async throws {
        let pki = try FixturePKI.shared()
        let binary = try AnchorageBinary.url()
        let config = try await TestConfiguration.write(pki: pki)
        try config.editJSON("Profiles/roles/web-reader.json") { $0["Arnn"] = ARNs.webReader }
        let state = config.root.appendingPathComponent("state")

        // A server that wrongly starts would run until the timeout kills it.
        let r = try await runProcess(binary.path, Self.serveArguments(config, state: state, pki: pki), timeout: 15)
        #expect(r.status != 0, "\(r.summary)")
        #expect(!r.stdout.contains("listening on"), "it must not listen: \(r.summary)")
        #expect(
            r.stderr.contains(config.profiles.appendingPathComponent("roles/web-reader.json").path),
            "stderr should name the file: \(r.stderr)")
        #expect(r.stderr.contains("Arnn"), "stderr should name the JSON path: \(r.stderr)")
    }

    @Test("serve without --state-dir exits 64 (usage)")
    func missingStateDirectory() async throws {
        let pki = try FixturePKI.shared()
        let binary = try AnchorageBinary.url()
        let config = try await TestConfiguration.write(pki: pki)
        var arguments = Self.serveArguments(config, state: config.root, pki: pki)
        let index = try #require(arguments.firstIndex(of: "--state-dir"))
        arguments.removeSubrange(index...(index + 1))
        let r = try await runProcess(binary.path, arguments, timeout: 15)
        #expect(r.status == 64, "\(r.summary)")
        #expect(r.stderr.contains("--state-dir"), "stderr should say what is missing: \(r.stderr)")
        #expect(!r.stdout.contains("listening on"), "\(r.summary)")
    }

    @Test("--insecure-http serves plain HTTP: `listening on http://…` and CreateSession 201")
    func insecureHTTP() async throws {
        let context = try await OwnServer.start(insecureHTTP: true)
        #expect(
            context.server.stdout.contains("listening on http://127.0.0.1:\(context.server.port)"),
            "stdout: \(context.server.stdout)")
        let r = try await Clients.raw(RawRequest(leaf: "leaf-ec-p256"), context)
        #expect(r.status == 201, "\(r.output)")
        let health = try await Clients.probe("request", ["--path", "/healthz"], context)
        #expect(health["status"]?.number == 200, "\(health)")
        // Without --public-host only the loopback names are accepted as the signed Host, and serve warns.
        for (host, expected) in [("localhost:1", 201), ("[::1]", 201), ("anchorage.example.com", 403)] {
            let signed = try await Clients.raw(RawRequest(leaf: "leaf-ec-p256", arguments: ["--host", host]), context)
            #expect(signed.status == expected, "\(host): \(signed.output)")
        }
        #expect(
            context.server.logLines(level: "warning", containing: "--insecure-http without --public-host").count == 1)
        let status = await context.server.stop()
        #expect(status == 0, "exit status \(status); stderr:\n\(context.server.stderr)")
    }

    @Test("serve refuses a bad --public-host or --metrics-listen with exit 64, naming the option")
    func publicHostAndMetricsListenUsage() async throws {
        let pki = try FixturePKI.shared()
        let binary = try AnchorageBinary.url()
        let config = try await TestConfiguration.write(pki: pki)
        let base = Self.serveArguments(config, state: config.root.appendingPathComponent("state"), pki: pki)
        let bad: [(String, String)] = [
            ("--public-host", "https://anchorage.example.com"), ("--public-host", "anchorage.example.com:443"),
            ("--public-host", "a..example"), ("--public-host", "*.example"), ("--public-host", ""),
            ("--metrics-listen", "127.0.0.1"), ("--metrics-listen", "127.0.0.1:99999"), ("--metrics-listen", ":9464"),
        ]
        for (option, value) in bad {
            let r = try await runProcess(binary.path, base + [option, value], timeout: 15)
            #expect(r.status == 64, "\(option) \(value): \(r.summary)")
            #expect(r.stderr.contains(option), "\(option) \(value): \(r.stderr)")
            #expect(!r.stdout.contains("listening on"), "\(r.summary)")
        }
    }

    /// A TLS certificate without DNS or IP subject alternative names leaves no name to accept: serve says so and
    /// does not start, unless --public-host names the server.
    @Test("a TLS certificate without DNS or IP names needs --public-host")
    func certificateWithoutNamesNeedsPublicHost() async throws {
        let pki = try FixturePKI.shared()
        let binary = try AnchorageBinary.url()
        let config = try await TestConfiguration.write(pki: pki)
        // A CA certificate: a subject, no subjectAltName.
        var arguments = Self.serveArguments(config, state: config.root.appendingPathComponent("state"), pki: pki)
        let certificate = try #require(arguments.firstIndex(of: "--tls-certificate"))
        arguments[certificate + 1] = pki.certificate("other-root").path
        arguments[certificate + 3] = pki.privateKey("other-root").path
        let r = try await runProcess(binary.path, arguments + ["--metrics-listen", "127.0.0.1:0"], timeout: 15)
        #expect(r.status == 1, "\(r.summary)")
        #expect(r.stderr.contains("--public-host"), "\(r.stderr)")
        #expect(!r.stdout.contains("listening on"), "\(r.summary)")

        let context = try await OwnServer.start(
            configuration: config,
            extraArguments: [
                "--tls-certificate", pki.certificate("other-root").path,
                "--tls-private-key", pki.privateKey("other-root").path, "--public-host", "anchorage.example.com",
            ])
        let server = context.server
        #expect(server.logLines().contains { $0["serverNames"]?.string == "anchorage.example.com" }, "\(server.stderr)")
        #expect(await server.stop() == 0)
    }

    /// Behind a proxy (`--insecure-http --public-host NAME`): requests signed for NAME are issued, whatever the
    /// port; requests signed for the address the proxy connects to are not, and the audit log says why.
    @Test("--public-host names the host behind a proxy; other hosts are refused with host_not_accepted")
    func publicHostBehindAProxy() async throws {
        let context = try await OwnServer.start(
            insecureHTTP: true, extraArguments: ["--public-host", "anchorage.example.com", "--public-host", "10.9.8.7"])
        for host in ["anchorage.example.com", "Anchorage.Example.COM:443", "10.9.8.7:8443"] {
            let r = try await Clients.raw(RawRequest(leaf: "leaf-ec-p256", arguments: ["--host", host]), context)
            #expect(r.status == 201, "\(host): \(r.output)")
        }
        for host in [context.server.endpoint, "localhost", "evil.example", "anchorage.example.com.evil.example"] {
            let r = try await Clients.raw(RawRequest(leaf: "leaf-ec-p256", arguments: ["--host", host]), context)
            #expect(r.status == 403, "\(host): \(r.output)")
            let entry = try context.server.auditEntry(requestId: try #require(r.requestId))
            #expect(entry?["reason"]?.string == "host_not_accepted", "\(host): \(String(describing: entry))")
        }
        #expect(await context.server.stop() == 0)
    }

    /// The metrics listener is a line of its own on stdout, answers only /metrics, and the API listener never
    /// serves /metrics.
    @Test("/metrics is served on --metrics-listen only; the API listener answers 404")
    func metricsOnItsOwnListener() async throws {
        let context = try await OwnServer.start()
        let server = context.server
        let lines = server.stdout.split(separator: "\n")
        #expect(lines.contains { $0 == "listening on https://127.0.0.1:\(server.port)" }, "\(server.stdout)")
        #expect(
            lines.contains { $0 == "metrics on http://127.0.0.1:\(server.metricsPort)/metrics" }, "\(server.stdout)")
        let api = try await Clients.probe("request", ["--path", "/metrics"], context)
        #expect(api["status"]?.number == 404, "\(api)")
        let apiBody = api["body"]?.string ?? ""
        #expect(!apiBody.contains("anchorage_"), "\(api)")
        let metrics = try await MetricsSnapshot.fetch(context)
        #expect(metrics.families["anchorage_requests_total"] != nil, "\(metrics.text)")
        #expect(await server.stop() == 0)
    }

    @Test("TLS 1.0 and 1.1 are refused by the server; TLS 1.2 and 1.3 are accepted")
    func tlsVersions() async throws {
        let context = try await OwnServer.start()
        for version in ["TLSv1", "TLSv1_1"] {
            let r = try await Clients.probe("tls", ["--min", version, "--max", version], context)
            #expect(r["ok"]?.bool == false, "\(version) handshake must fail: \(r)")
            // The client offers the old version (security level 0), so the refusal comes from the server.
            #expect(
                r["error"]?.string?.contains("NO_PROTOCOLS_AVAILABLE") != true,
                "the client did not even offer \(version): \(r)")
        }
        for (version, name) in [("TLSv1_2", "TLSv1.2"), ("TLSv1_3", "TLSv1.3")] {
            let r = try await Clients.probe("tls", ["--min", version, "--max", version], context)
            #expect(r["ok"]?.bool == true, "\(version) handshake must succeed: \(r)")
            #expect(r["version"]?.string == name, "\(r)")
        }
        _ = await context.server.stop()
    }

    @Test("the example configuration in the repository (PKI/, Profiles/) passes anchorage validate")
    func exampleConfigurationValidates() async throws {
        let binary = try AnchorageBinary.url()
        let root = try FixturePKI.packageRoot()
        let pki = root.appendingPathComponent("PKI")
        let profiles = root.appendingPathComponent("Profiles")
        var isDirectory: ObjCBool = false
        try #require(
            FileManager.default.fileExists(atPath: pki.path, isDirectory: &isDirectory) && isDirectory.boolValue,
            "the example configuration \(pki.path) is missing (CONTRACT §2)")
        try #require(
            FileManager.default.fileExists(atPath: profiles.path, isDirectory: &isDirectory) && isDirectory.boolValue,
            "the example configuration \(profiles.path) is missing (CONTRACT §2)")
        let r = try await runProcess(binary.path, ["validate", "--pki", pki.path, "--profiles", profiles.path])
        #expect(r.status == 0, "\(r.summary)")
    }
}
