import AnchorageTestSupport
import Foundation
import Testing

/// `serve` started with a certificate clients refuse for a server says so at start, in its log.
@Suite("serve warns about a TLS certificate without serverAuth")
struct ServeCertificateWarningTests {
    static let warning = "the TLS certificate is not valid for a TLS server"

    @Test(
        "a workload certificate (clientAuth) as the TLS certificate: one warning naming the file; the server one: none")
    func warnsAtStart() async throws {
        let pki = try FixturePKI.shared()
        let workload = try await OwnServer.start(extraArguments: [
            "--tls-certificate", pki.certificate("leaf-ec-p256").path,
            "--tls-private-key", pki.privateKey("leaf-ec-p256").path,
        ])
        let lines = workload.server.logLines().filter { $0["message"]?.string?.hasPrefix(Self.warning) == true }
        _ = await workload.server.stop()
        #expect(lines.count == 1, "\(workload.server.stderr)")
        #expect(lines.first?["level"]?.string == "warning")
        #expect(lines.first?["file"]?.string == pki.certificate("leaf-ec-p256").path)

        let server = try await OwnServer.start()
        let serverStderr = server.server.stderr
        _ = await server.server.stop()
        #expect(!serverStderr.contains(Self.warning), "\(serverStderr)")
    }
}
