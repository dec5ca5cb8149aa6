import AnchorageHTTP
import Testing

@testable import AnchorageBenchmark

@Suite struct TLSHandshakeCostTests {
    /// The server certificate and key the benchmark gives `anchorage serve`.
    private static func withServerContext(_ body: (TLSServerContext) throws -> Void) throws {
        let benchmark = try Benchmark(options: Options(), binary: "/nonexistent/anchorage")
        defer { benchmark.cleanUp() }
        try body(
            TLSServerContext(
                certificateChainFile: benchmark.tlsCertificate.path, privateKeyFile: benchmark.tlsKey.path))
    }

    @Test func completesFullHandshakesAndChargesTheServer() throws {
        try Self.withServerContext { context in
            let result = try TLSHandshakeCost.measure(context: context, handshakes: 5)
            #expect(result.handshakes == 5)
            // The default client offers TLS 1.3, and the server's list keeps only AEAD suites.
            #expect(result.protocolVersion == "TLSv1.3")
            #expect(TLSServerContext.tls13CipherSuites.split(separator: ":").contains(Substring(result.cipher)))
            // A full handshake signs with the server's key and derives an ECDHE secret: never free, never seconds.
            #expect(result.serverSecondsPerHandshake > 1e-6)
            #expect(result.serverSecondsPerHandshake < 1)
        }
    }

    @Test func refusesAnEmptyMeasurement() throws {
        try Self.withServerContext { context in
            #expect(throws: HTTPError.self) {
                try TLSHandshakeCost.measure(context: context, handshakes: 0)
            }
        }
    }
}
