import AnchorageCore
import AnchorageHTTP
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
