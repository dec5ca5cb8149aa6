import AnchorageConfigFixtures
import AnchorageCore
import AnchorageCrypto
import AnchorageHTTP
import AnchorageTestSupport
import Foundation
import Testing

@testable import AnchorageServer

/// Issue 16, items 5, 6, 7 and 9 at the service: the signed Host, /metrics off the API listener, a
/// durationSeconds given twice, and requests counted by the answer they got. Each attack next to its honest
/// neighbour, which is still answered as before.
@Suite struct TrustBoundaryEdgeTests {
    static let names = ServerNames(names: ["anchorage.test", "192.0.2.10", "::1"])

    // MARK: - Item 5: the signed Host

    @Test(
        arguments: [
            ("anchorage.test", 201), ("anchorage.test:8443", 201), ("ANCHORAGE.test:1", 201), ("192.0.2.10:443", 201),
            ("[::1]:8443", 201), ("evil.example", 403), ("evil.example:8443", 403),
            ("anchorage.test.evil.example", 403),
            ("192.0.2.11", 403), ("::1", 403), ("rolesanywhere.us-east-1.amazonaws.com", 403),
        ] as [(String, Int)])
    func createSessionIsIssuedOnlyForTheServersOwnNames(host: String, status: Int) throws {
        let fixture = try ServiceFixture(serverNames: Self.names)
        let pki = fixture.configuration.pki
        let response = fixture.service.handle(
            try RequestSigner.signedCreateSession(leaf: pki.webLeaf, key: pki.webKey, host: host))
        #expect(response.status == status, "\(host): \(response.bodyText)")
        let record = try #require(try fixture.auditRecords().last)
        if status == 201 {
            #expect(record["outcome"]?.stringValue == "allowed")
        } else {
            // The caller learns no more than for a bad signature; the audit log has the precise reason.
            #expect(response.headers["X-Amzn-ErrorType"] == "AccessDeniedException")
            #expect(response.bodyText == #"{"message":"Invalid signature"}"#)
            #expect(record["reason"]?.stringValue == DenialReason.hostNotAccepted.rawValue)
            #expect(record["certificate"]?["serialHex"]?.stringValue == pki.webLeaf.serialNumberHex)
        }
    }

    /// A library caller that sets no names (the default, `anyHost`) decides as before.
    @Test func anUnboundServiceAcceptsAnyHost() throws {
        let fixture = try ServiceFixture()
        let pki = fixture.configuration.pki
        let response = fixture.service.handle(
            try RequestSigner.signedCreateSession(leaf: pki.webLeaf, key: pki.webKey, host: "evil.example"))
        #expect(response.status == 201)
    }

    /// A Host the signature does not cover is a signature mismatch first: the check is on the signed value.
    @Test func anUnsignedHostChangeIsASignatureMismatch() throws {
        let fixture = try ServiceFixture(serverNames: Self.names)
        let pki = fixture.configuration.pki
        var request = try RequestSigner.signedCreateSession(leaf: pki.webLeaf, key: pki.webKey, host: "evil.example")
        request.headers.replaceOrAdd(name: "Host", value: "anchorage.test")
        #expect(fixture.service.handle(request).status == 403)
        #expect(try fixture.auditRecords().last?["reason"]?.stringValue == DenialReason.signatureMismatch.rawValue)
    }

    @Test(arguments: [("127.0.0.1:8443", 200), ("localhost", 200), ("evil.example:8443", 403), ("[::2]", 403)])
    func stsAnswersOnlyForTheServersOwnNames(host: String, status: Int) throws {
        let fixture = try STSRouteTests.Fixture(serverNames: .loopback)
        let response = fixture.service.handle(fixture.signedPost(host: host))
        #expect(response.status == status, "\(host): \(String(decoding: response.body, as: UTF8.self))")
        let line = try #require(try fixture.auditLine(response.headers["x-amzn-RequestId"]))
        if status == 200 {
            #expect(line["outcome"]?.stringValue == "allowed")
        } else {
            #expect(String(decoding: response.body, as: UTF8.self).contains("<Code>SignatureDoesNotMatch</Code>"))
            #expect(line["reason"]?.stringValue == STSFailure.Reason.hostNotAccepted.rawValue)
        }
    }

    // MARK: - Item 6: /metrics only on its own listener

    @Test func theAPIAnswers404ForMetricsAndTheMetricsEndpointServesIt() throws {
        let fixture = try ServiceFixture()
        let api = fixture.service.handle(HTTPRequest(method: "GET", target: "/metrics"))
        #expect(api.status == 404)
        #expect(!api.bodyText.contains("anchorage_"))
        #expect(fixture.service.handle(HTTPRequest(method: "GET", target: "/healthz")).status == 200)
        #expect(fixture.service.handle(HTTPRequest(method: "GET", target: "/readyz")).status == 200)

        let endpoint = MetricsEndpoint(service: fixture.service)
        let metrics = endpoint.handle(HTTPRequest(method: "GET", target: "/metrics"))
        #expect(metrics.status == 200)
        #expect(metrics.headers["Content-Type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        #expect(metrics.bodyText.contains("anchorage_trust_anchor_certificate_expiry_days"))
        for other in ["/", "/sessions", "/healthz", "/metrics/x"] {
            #expect(endpoint.handle(HTTPRequest(method: "GET", target: other)).status == 404, "\(other)")
        }
        #expect(endpoint.handle(HTTPRequest(method: "POST", target: "/metrics")).status == 404)
    }

    // MARK: - Item 7: durationSeconds in the query and the body

    @Test(
        arguments: [
            ("durationSeconds=900", #","durationSeconds":1800"#, 400, "malformed_request"),
            ("durationSeconds=0900", #","durationSeconds":901"#, 400, "malformed_request"),
            ("durationSeconds=900&durationSeconds=900", "", 400, "malformed_request"),
            ("durationSeconds=abc", #","durationSeconds":900"#, 400, "invalid_duration"),
            ("durationSeconds=900", #","durationSeconds":900"#, 201, nil),
            ("durationSeconds=0900", #","durationSeconds":900"#, 201, nil),
            ("durationSeconds=900", "", 201, nil),
            (nil, #","durationSeconds":900"#, 201, nil),
        ] as [(String?, String, Int, String?)])
    func durationSecondsGivenTwiceMustAgree(query: String?, bodyExtra: String, status: Int, reason: String?) throws {
        let fixture = try ServiceFixture()
        let pki = fixture.configuration.pki
        let body = Array(
            #"{"profileArn":"\#(profileArn)","roleArn":"\#(roleArn)","trustAnchorArn":"\#(anchorArn)"\#(bodyExtra)}"#
                .utf8)
        let response = fixture.service.handle(
            try RequestSigner.signedCreateSession(leaf: pki.webLeaf, key: pki.webKey, body: body, query: query))
        #expect(response.status == status, "\(query ?? "-") \(bodyExtra): \(response.bodyText)")
        let record = try #require(try fixture.auditRecords().last)
        if let reason {
            #expect(response.headers["X-Amzn-ErrorType"] == "ValidationException")
            #expect(record["reason"]?.stringValue == reason)
        } else {
            // The agreed value is the one used.
            let expiration = try response.json()["credentialSet"]?[0]?["credentials"]?["expiration"]?.stringValue
            #expect(expiration == UTCTimestamp.iso8601(testNow + 900))
        }
    }

    // MARK: - Item 9: counted as answered

    /// A request refused 503 because its record could not be written counts as an error, whatever was decided.
    @Test func anAllowedDecisionAnswered503CountsAsAnError() throws {
        let metrics = Metrics()
        let fixture = try ServiceFixture(auditLogPath: "/dev/full", metrics: metrics)
        let pki = fixture.configuration.pki
        let response = fixture.service.handle(try RequestSigner.signedCreateSession(leaf: pki.webLeaf, key: pki.webKey))
        #expect(response.status == 503)
        let text = metrics.render(configurations: fixture.service.configurations, connections: nil, now: testNow)
        #expect(
            text.contains(
                #"anchorage_requests_total{operation="CreateSession",outcome="error",reason="audit_unavailable"} 1"#),
            "\(text)")
        #expect(!text.contains(#"outcome="allowed""#), "\(text)")
    }

    /// With a commit to wait for, the count follows the commit: the decided outcome when the record is durable,
    /// an error when the 503 fallback is the answer, nothing before the commit is settled.
    @Test func aHeldAnswerIsCountedWhenItsCommitSettles() throws {
        let metrics = Metrics()
        let fixture = try ServiceFixture(metrics: metrics)
        let pki = fixture.configuration.pki
        func count(_ outcome: String, _ reason: String) -> Bool {
            metrics.render(configurations: fixture.service.configurations, connections: nil, now: testNow).contains(
                #"anchorage_requests_total{operation="CreateSession",outcome="\#(outcome)",reason="\#(reason)"} 1"#)
        }
        let issued = fixture.service.handle(try RequestSigner.signedCreateSession(leaf: pki.webLeaf, key: pki.webKey))
        let commit = try #require(issued.commit)
        #expect(!count("allowed", ""), "counted before the answer was settled")
        commit.settled?(true)
        #expect(count("allowed", ""))

        let second = fixture.service.handle(try RequestSigner.signedCreateSession(leaf: pki.webLeaf, key: pki.webKey))
        try #require(second.commit).settled?(false)
        #expect(count("error", Metrics.auditUnavailableReason))
        #expect(count("allowed", ""), "the first one is still counted once")
    }
}

/// `serve`'s options for items 5 and 6, and the names it accepts from them.
@Suite struct ServeNamesAndListenerOptionsTests {
    static let base = ["--state-dir", "/nonexistent/state"]

    @Test func defaultsAndRepeatedPublicHosts() throws {
        let defaults = try ServeCommand.options(from: Self.base + ["--insecure-http"])
        #expect(defaults.publicHosts.isEmpty)
        #expect(defaults.metricsHost == "127.0.0.1" && defaults.metricsPort == 9464)
        let given = try ServeCommand.options(
            from: Self.base + [
                "--insecure-http", "--public-host", "a.example", "--public-host", "10.0.0.1", "--metrics-listen",
                "[::1]:0", "--metrics-listen", "127.0.0.2:9100",
            ])
        #expect(given.publicHosts == ["a.example", "10.0.0.1"])
        #expect(given.metricsHost == "127.0.0.2" && given.metricsPort == 9100, "the later value wins")
        let bracketed = try ServeCommand.options(from: Self.base + ["--insecure-http", "--metrics-listen", "[::1]:0"])
        #expect(bracketed.metricsHost == "::1" && bracketed.metricsPort == 0)
        for bad in [["--public-host", "a.example:443"], ["--public-host", "*"], ["--metrics-listen", "9464"]] {
            #expect(throws: (any Error).self, "\(bad)") {
                try ServeCommand.options(from: Self.base + ["--insecure-http"] + bad)
            }
        }
    }

    /// With `--insecure-http`: the loopback names, or only the `--public-host` names once there are some.
    @Test func plainHTTPAcceptsLoopbackUnlessToldItsNames() throws {
        let loopback = try ServeCommand.serverNames(ServeCommand.options(from: Self.base + ["--insecure-http"]))
        #expect(loopback == .loopback)
        let proxied = try ServeCommand.serverNames(
            ServeCommand.options(from: Self.base + ["--insecure-http", "--public-host", "anchorage.example.com"]))
        #expect(proxied.accepts(host: "anchorage.example.com:443"))
        #expect(!proxied.accepts(host: "127.0.0.1:8443"))
        #expect(!proxied.accepts(host: "localhost"))
    }

    static func certificateFile(subjectAlternativeName: String?, in directory: TemporaryDirectory) throws -> String {
        let key = try PrivateKey.generate(.ecP256)
        var builder = CertificateBuilder(
            subject: [("O", "Anchorage Tests"), ("CN", "server")], notBefore: testNow - 3600,
            notAfter: testNow + 86400)
        builder.subjectAlternativeName = subjectAlternativeName
        let certificate = try builder.issue(for: key, issuer: nil, issuerKey: key)
        try directory.write("server.pem", certificate.pemString)
        return directory.url("server.pem")
    }

    /// With TLS: the certificate's DNS and IP names (an IPv6 one as the certificate spells it, in full), plus
    /// `--public-host`; a certificate with neither is refused at start unless `--public-host` names the server.
    @Test func tlsAcceptsTheCertificatesNamesAndPublicHosts() throws {
        let directory = TemporaryDirectory()
        let file = try Self.certificateFile(
            subjectAlternativeName: "DNS:anchorage.example.com,IP:192.0.2.1,IP:2001:db8::1,URI:spiffe://x/y",
            in: directory)
        var options = ServeCommand.Options(stateDirectory: "/nonexistent")
        options.tlsCertificate = file
        let names = try ServeCommand.serverNames(options)
        for host in ["anchorage.example.com:8443", "192.0.2.1", "[2001:db8::1]:443"] {
            #expect(names.accepts(host: host), "\(host)")
        }
        for host in ["localhost", "127.0.0.1", "spiffe", "x", "proxy.example"] {
            #expect(!names.accepts(host: host), "\(host)")
        }
        options.publicHosts = ["proxy.example"]
        #expect(try ServeCommand.serverNames(options).accepts(host: "proxy.example:443"))

        let bare = TemporaryDirectory()
        var nameless = ServeCommand.Options(stateDirectory: "/nonexistent")
        nameless.tlsCertificate = try Self.certificateFile(subjectAlternativeName: "URI:spiffe://x/y", in: bare)
        do {
            _ = try ServeCommand.serverNames(nameless)
            Issue.record("a certificate without DNS or IP names was accepted with no --public-host")
        } catch {
            #expect("\(error)".contains("--public-host"), "\(error)")
        }
        nameless.publicHosts = ["anchorage.example.com"]
        #expect(try ServeCommand.serverNames(nameless).accepts(host: "anchorage.example.com"))
    }

    /// `serve --dev` accepts the endpoint it prints: its certificate carries the names.
    @Test func devAcceptsTheEndpointItPrints() throws {
        let directory = TemporaryDirectory()
        let prepared = try DevEnvironment.prepare(in: directory.path)
        let names = try ServeCommand.serverNames(prepared.options)
        let printed = prepared.announce("127.0.0.1", 8443)
        let endpoints = printed.split(whereSeparator: { $0 == " " || $0 == "\n" }).filter { $0.hasPrefix("https://") }
        #expect(!endpoints.isEmpty, "\(printed)")
        for endpoint in endpoints {
            let host = endpoint.dropFirst("https://".count).prefix { $0 != "/" }
            #expect(names.accepts(host: String(host)), "\(endpoint)")
        }
        #expect(names.accepts(host: "localhost:8443") && names.accepts(host: "[::1]:8443"))
    }
}
