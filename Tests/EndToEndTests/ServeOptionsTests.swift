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
        let status = await context.server.stop()
        #expect(status == 0, "exit status \(status); stderr:\n\(context.server.stderr)")
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
