import AnchorageConfig
import AnchorageConfigFixtures
import AnchorageCore
import AnchorageCrypto
import AnchorageHTTP
import Testing

@testable import AnchorageServer

/// Explain/request-path parity for the parameter checks, the warnings' findings, and metric label escaping.
@Suite("Operations: explain parity, health findings, metrics text")
struct OperationsTests {
    static func body(profile: String, extra: String) -> [UInt8] {
        Array(#"{"profileArn":"\#(profile)","roleArn":"\#(roleArn)","trustAnchorArn":"\#(anchorArn)"\#(extra)}"#.utf8)
    }

    /// The server's reason for a signed request and explain's for the same inputs.
    static func reasons(
        _ fixture: ConfigFixture, profile: String, duration: Int?, roleSessionName: String?, chain: [Certificate] = []
    ) throws -> (server: DenialReason?, explain: DenialReason?) {
        var extra = ""
        if let duration { extra += #","durationSeconds":\#(duration)"# }
        if let roleSessionName { extra += #","roleSessionName":"\#(roleSessionName)""# }
        let configuration = try fixture.loader.load(generation: 1)
        let service = CreateSessionService(keyring: TokenKeyring.generate(id: "k", random: SystemRandomSource()))
        let http = try RequestSigner.signedCreateSession(
            leaf: fixture.pki.webLeaf, key: fixture.pki.webKey, body: body(profile: profile, extra: extra))
        let signed = SignedRequest(
            method: http.method, rawPath: http.path, rawQuery: http.query, headers: http.headers.fields,
            body: http.body,
            sourceAddress: http.remoteAddress)
        let outcome = service.createSession(signed, configuration: configuration, now: testNow)
        var server: DenialReason?
        if case .denied(let reason) = outcome.result { server = reason }
        let explanation = service.explain(
            SessionRequest(
                certificate: fixture.pki.webLeaf, chain: chain, trustAnchorArn: anchorArn, profileArn: profile,
                roleArn: roleArn, durationSeconds: duration, roleSessionName: roleSessionName,
                sourceAddress: http.remoteAddress),
            configuration: configuration, now: testNow)
        return (server, explanation.reason)
    }

    @Test func explainChecksParametersInTheRequestPathsOrder() throws {
        let fixture = try ConfigFixture()
        // Allowed on both sides.
        let allowed = try Self.reasons(fixture, profile: profileArn, duration: 900, roleSessionName: "ok-name")
        #expect(allowed.server == nil && allowed.explain == nil)
        // A bad duration on a disabled profile: the request path refuses the parameter first.
        let duration = try Self.reasons(fixture, profile: minimalProfileArn, duration: 100, roleSessionName: nil)
        #expect(duration.server == .invalidDuration)
        #expect(duration.explain == duration.server)
        // A roleSessionName that is not [\w+=,.@-]{2,64}, on a profile that accepts one.
        let name = try Self.reasons(fixture, profile: profileArn, duration: nil, roleSessionName: "x")
        #expect(name.server == .malformedRequest)
        #expect(name.explain == name.server)
        // Six chain certificates: chain_too_long (the server refuses X-Amz-X509-Chain with more than 5).
        let chain = try Self.reasons(
            fixture, profile: profileArn, duration: nil, roleSessionName: nil,
            chain: Array(repeating: fixture.pki.ca, count: 6))
        #expect(chain.explain == .chainTooLong)
    }

    @Test func healthFindingsForExpiringAnchorsAndStaleCRLs() throws {
        let fixture = try ConfigFixture()
        // The test CA is valid until testNow + 365 days; its CRL's nextUpdate is testNow + 7 days.
        try fixture.write(
            "PKI/trust-anchors/main/crls/main.crl.pem",
            DER.pem(try DER.crl(issuer: fixture.pki.ca, signingKey: fixture.pki.caKey), label: "X509 CRL"))
        let configuration = try fixture.loader.load(generation: 1)

        #expect(ConfigurationHealth(warningDays: 45).findings(configuration, now: testNow).isEmpty)
        let soon = ConfigurationHealth(warningDays: 45).findings(configuration, now: testNow + 86400 * 340)
        let expiring = soon.filter { $0.message == "trust anchor certificate expires soon" }
        // Both anchors (the disabled one too: enabling it later must not surprise anyone) hold a CA valid for a year.
        #expect(expiring.map { $0.fields["trustAnchor"] } == ["main", "second"])
        #expect(expiring.allSatisfy { $0.fields["daysLeft"] == "25" })
        #expect(soon.contains { $0.message.contains("past its nextUpdate") && $0.fields["trustAnchor"] == "main" })
        // A narrower window: no expiry finding yet.
        #expect(
            ConfigurationHealth(warningDays: 20).findings(configuration, now: testNow + 86400 * 340)
                .allSatisfy { !$0.message.contains("expires") })
        let expired = ConfigurationHealth(warningDays: 45).findings(configuration, now: testNow + 86400 * 400)
        #expect(expired.contains { $0.message == "trust anchor certificate has expired" })
    }

    @Test func metricLabelValuesAreEscaped() throws {
        let fixture = try ConfigFixture()
        let key = try PrivateKey.generate(.ecP256)
        var builder = CertificateBuilder(
            subject: [("O", #"Quote " and \ backslash"#), ("CN", "Odd CA")], notBefore: testNow - 86400,
            notAfter: testNow + 86400 * 30)
        builder.isCA = true
        builder.keyUsage = "keyCertSign,cRLSign"
        let odd = try builder.issue(for: key, issuer: nil, issuerKey: key)
        try fixture.write(ConfigFixture.mainCertificates, fixture.pki.ca.pemString + odd.pemString)
        let store = try ConfigurationStore(loader: fixture.loader)
        let metrics = Metrics()
        metrics.count(operation: "CreateSession", outcome: "denied", reason: "weak_key")
        metrics.observeLatency(route: "CreateSession", seconds: 0.003)
        metrics.observeLatency(route: "CreateSession", seconds: 2)
        let text = metrics.render(configurations: store, connections: 1, audit: (records: 12, flushes: 5), now: testNow)

        let escaped = odd.subjectString.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "\"", with: "\\\"")
        #expect(text.contains("subject=\"\(escaped)\""), "\(text)")
        #expect(
            text.contains(#"anchorage_requests_total{operation="CreateSession",outcome="denied",reason="weak_key"} 1"#))
        #expect(text.contains(#"anchorage_request_duration_seconds_bucket{le="0.0025",operation="CreateSession"} 0"#))
        #expect(text.contains(#"anchorage_request_duration_seconds_bucket{le="0.005",operation="CreateSession"} 1"#))
        #expect(text.contains(#"anchorage_request_duration_seconds_bucket{le="1",operation="CreateSession"} 1"#))
        #expect(text.contains(#"anchorage_request_duration_seconds_bucket{le="+Inf",operation="CreateSession"} 2"#))
        #expect(text.contains(#"anchorage_request_duration_seconds_count{operation="CreateSession"} 2"#))
        #expect(text.contains("anchorage_http_connections 1"))
        #expect(text.contains("# TYPE anchorage_audit_records_total counter\nanchorage_audit_records_total 12\n"))
        #expect(text.contains("# TYPE anchorage_audit_flushes_total counter\nanchorage_audit_flushes_total 5\n"))
        #expect(!metrics.render(configurations: store, connections: 1, now: testNow).contains("anchorage_audit_"))
        #expect(text.hasSuffix("\n"))
    }
}
