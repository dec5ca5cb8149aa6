import Testing

@testable import AnchorageHTTP

@Suite struct TLSHandshakeCostTests {
    @Test func completesFullHandshakesAndChargesTheServer() throws {
        let result = try TLSHandshakeCost.measure(context: TestCertificate.serverContext, handshakes: 5)
        #expect(result.handshakes == 5)
        // The default client offers TLS 1.3, and the server's list keeps only AEAD suites.
        #expect(result.protocolVersion == "TLSv1.3")
        #expect(TLSServerContext.tls13CipherSuites.split(separator: ":").contains(Substring(result.cipher)))
        // A full handshake signs with the server's key and derives an ECDHE secret: never free, never seconds.
        #expect(result.serverSecondsPerHandshake > 1e-6)
        #expect(result.serverSecondsPerHandshake < 1)
    }

    @Test func refusesAnEmptyMeasurement() {
        #expect(throws: HTTPError.self) {
            try TLSHandshakeCost.measure(context: TestCertificate.serverContext, handshakes: 0)
        }
    }
}
