import AnchorageCrypto
import AnchorageTestSupport
import Foundation
import Testing

@testable import AnchorageServer

/// `serve` warns at start when its TLS certificate is one clients refuse for a server.
@Suite("serve: the TLS certificate's purpose")
struct ServerCertificatePurposeTests {
    /// A leaf with `extendedKeyUsage` (nil: none), signed by a fresh CA, written as a PEM chain; returns the file.
    func chainFile(extendedKeyUsage: String?) throws -> String {
        let now = Int64(Date().timeIntervalSince1970)
        let caKey = try PrivateKey.generate(.ecP256)
        var caBuilder = CertificateBuilder(subject: [("CN", "Purpose CA")], notBefore: now - 60, notAfter: now + 3600)
        caBuilder.isCA = true
        caBuilder.keyUsage = "keyCertSign,cRLSign"
        let ca = try caBuilder.issue(for: caKey, issuer: nil, issuerKey: caKey)
        var builder = CertificateBuilder(subject: [("CN", "localhost")], notBefore: now - 60, notAfter: now + 3600)
        builder.keyUsage = "digitalSignature"
        builder.extendedKeyUsage = extendedKeyUsage
        builder.subjectAlternativeName = "DNS:localhost,IP:127.0.0.1"
        let leaf = try builder.issue(for: try PrivateKey.generate(.ecP256), issuer: ca, issuerKey: caKey)
        let path = NSTemporaryDirectory() + "anchorage-purpose-\(UUID().uuidString).pem"
        try Data((leaf.pemString + ca.pemString).utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("a clientAuth-only certificate gets the warning; serverAuth, or no extendedKeyUsage at all, does not")
    func warnsOnlyWhenClientsRefuse() throws {
        let workload = try #require(
            ServerCertificatePurpose.warning(chainFile: try chainFile(extendedKeyUsage: "clientAuth")))
        #expect(
            workload.contains("unsuitable certificate purpose") && workload.contains("anchorage pki issue --server"))
        #expect(ServerCertificatePurpose.warning(chainFile: try chainFile(extendedKeyUsage: "serverAuth")) == nil)
        #expect(
            ServerCertificatePurpose.warning(chainFile: try chainFile(extendedKeyUsage: "serverAuth,clientAuth")) == nil
        )
        #expect(ServerCertificatePurpose.warning(chainFile: try chainFile(extendedKeyUsage: nil)) == nil)
    }
}
