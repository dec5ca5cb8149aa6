import AnchorageTestSupport
import Foundation
import Testing

@Suite("Audit log end to end")
struct AuditLogTests {
    @Test("an allowed CreateSession writes one audit line with the session and certificate, and no secret")
    func allowedSessionIsAudited() async throws {
        let context = try await SharedServer.shared.context()
        let r = try await Clients.raw(RawRequest(leaf: "leaf-ec-p256"), context)
        try #require(r.status == 201, "response: \(r.output)")
        let creds = try #require(r.json?["credentialSet"]?[0]?["credentials"])
        let requestId = try #require(r.requestId)
        let entries = try context.server.auditEntries().filter { $0["requestId"]?.string == requestId }
        #expect(entries.count == 1, "expected exactly one audit line for \(requestId)")
        let entry = try #require(entries.first)

        #expect(entry["outcome"]?.string == "allowed")
        #expect(entry["operation"]?.string != nil)
        #expect(entry["time"]?.string != nil)
        #expect(entry["sourceAddress"]?.string?.contains("127.0.0.1") == true, "sourceAddress in \(entry)")
        #expect(entry["accessKeyId"]?.string == creds["accessKeyId"]?.string)
        #expect(entry["expiration"]?.string == creds["expiration"]?.string)
        #expect(entry["trustAnchorArn"]?.string == ARNs.rsaRootAnchor)
        #expect(entry["profileArn"]?.string == ARNs.webProfile)
        #expect(entry["roleArn"]?.string == ARNs.webReader)

        let cert = try #require(entry["certificate"], "certificate in \(entry)")
        let serial = try context.pki.serialHex("leaf-ec-p256")
        #expect(cert["serialHex"]?.string?.lowercased() == serial)
        #expect(cert["subject"]?.string?.contains("leaf-ec-p256") == true, "subject in \(cert)")
        #expect(cert["issuer"]?.string?.contains("Anchorage Test Root RSA") == true, "issuer in \(cert)")
        #expect(cert["sha256"]?.string == (try await Clients.certificateSHA256("leaf-ec-p256", context.pki)))

        // Never a secret key or session token: neither this one nor any other issued in this process.
        let python = try await Clients.pythonSession(leaf: "leaf-rsa-2048", context)
        #expect(python["ok"]?.bool == true, "python client: \(python)")
        let text = try context.server.auditLogText()
        let secret = try #require(creds["secretAccessKey"]?.string)
        let token = try #require(creds["sessionToken"]?.string)
        #expect(!text.contains(secret))
        #expect(!text.contains(token))
        for s in IssuedSecrets.shared.all { #expect(!text.contains(s)) }
        for line in try context.server.auditEntries() {
            #expect(line["secretAccessKey"] == nil && line["sessionToken"] == nil)
        }
    }
}

@Suite("anchorage validate and serve lifecycle")
struct CommandTests {
    @Test("validate accepts the generated configuration")
    func validateAccepts() async throws {
        let pki = try FixturePKI.shared()
        let binary = try AnchorageBinary.url()
        let config = try await TestConfiguration.write(pki: pki)
        let r = try await runProcess(
            binary.path, ["validate", "--pki", config.pki.path, "--profiles", config.profiles.path])
        #expect(r.status == 0, "\(r.summary)")
    }

    @Test("validate rejects an unknown key in a role, naming the file and the JSON path")
    func validateRejectsUnknownKey() async throws {
        let pki = try FixturePKI.shared()
        let binary = try AnchorageBinary.url()
        let config = try await TestConfiguration.write(pki: pki).copy()
        let roleFile = config.profiles.appendingPathComponent("roles/web-reader.json")
        var role = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: roleFile)) as? [String: Any])
        role["Arnn"] = ARNs.webReader
        try TestConfiguration.writeJSON(role, to: roleFile)

        let r = try await runProcess(
            binary.path, ["validate", "--pki", config.pki.path, "--profiles", config.profiles.path])
        #expect(r.status != 0, "\(r.summary)")
        #expect(r.stderr.contains("web-reader.json"), "stderr should name the file: \(r.stderr)")
        #expect(r.stderr.contains("Arnn"), "stderr should name the JSON path: \(r.stderr)")
    }

    @Test("serve prints its listening line and exits 0 on SIGTERM")
    func serveStopsCleanlyOnSIGTERM() async throws {
        let pki = try FixturePKI.shared()
        let config = try await TestConfiguration.write(pki: pki)
        let server = try await AnchorageServerProcess.start(configuration: config, pki: pki)
        #expect(server.port > 0)
        let status = await server.stop()
        #expect(status == 0, "exit status \(status); stderr:\n\(server.stderr)")
    }
}
