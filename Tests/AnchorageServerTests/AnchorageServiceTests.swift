import AnchorageConfig
import AnchorageConfigFixtures
import AnchorageControlPlane
import AnchorageCore
import AnchorageCrypto
import AnchorageHTTP
import AnchorageServer
import AnchorageTestSupport
import Foundation
import Testing

/// A service over the fixture configuration, a fixed clock and an audit log in a temporary state directory.
final class ServiceFixture: @unchecked Sendable {
    let configuration: ConfigFixture
    let state = TemporaryDirectory()
    let auditLog: AuditLog
    let service: AnchorageService

    init(
        auditLogPath: String? = nil, serverNames: ServerNames = .anyHost, metrics: Metrics = Metrics(),
        subjects: SubjectStore? = nil
    ) throws {
        configuration = try ConfigFixture()
        auditLog = try AuditLog(path: auditLogPath ?? state.url("audit.jsonl"))
        var createSession = CreateSessionService(
            keyring: TokenKeyring.generate(id: "k-test", random: SystemRandomSource()))
        createSession.serverNames = serverNames
        service = AnchorageService(
            configurations: try ConfigurationStore(loader: configuration.loader), createSession: createSession,
            auditLog: auditLog, clock: FixedClock(seconds: testNow), logger: Logger(minimumLevel: .error),
            metrics: metrics, subjects: subjects)
    }

    /// The log as the HTTP server leaves it: after the commit that releases the answers (with `--audit-sync data`
    /// the records wait in memory for it).
    var auditText: String {
        _ = auditLog.commit(upTo: auditLog.recordCount)
        return (try? state.read("audit.jsonl")) ?? ""
    }

    func auditRecords() throws -> [JSONValue] {
        try auditText.split(separator: "\n").map { try JSONParser.parse(String($0)) }
    }
}

@Suite struct AnchorageServiceTests {
    /// Lowercase UUID version 4, the form AWS request ids take.
    static func isUUIDv4(_ text: String?) -> Bool {
        guard let text else { return false }
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        guard groups.map(\.count) == [8, 4, 4, 4, 12],
            text.allSatisfy({ $0 == "-" || $0.isNumber || ("a"..."f").contains($0) })
        else { return false }
        return groups[2].first == "4" && "89ab".contains(groups[3].first!)
    }

    // MARK: - CreateSession

    @Test func signedCreateSessionIssuesCredentialsAndAuditsThem() throws {
        let fixture = try ServiceFixture()
        let pki = fixture.configuration.pki
        let response = fixture.service.handle(
            try RequestSigner.signedCreateSession(leaf: pki.webLeaf, key: pki.webKey))

        #expect(response.status == 201, "\(response.bodyText)")
        #expect(response.headers["Content-Type"] == "application/json")
        #expect(response.headers["X-Amzn-ErrorType"] == nil)
        let requestId = try #require(response.headers["x-amzn-RequestId"])
        #expect(Self.isUUIDv4(requestId))

        let body = try response.json()
        #expect(body.keys == ["credentialSet", "subjectArn"])
        let set = try #require(body["credentialSet"]?[0])
        #expect(body["credentialSet"]?[1] == nil)
        #expect(set.keys == ["assumedRoleUser", "credentials", "packedPolicySize", "roleArn", "sourceIdentity"])
        #expect(set["assumedRoleUser"]?.keys == ["arn", "assumedRoleId"])
        let credentials = try #require(set["credentials"])
        #expect(credentials.keys == ["accessKeyId", "expiration", "secretAccessKey", "sessionToken"])
        #expect(set["roleArn"]?.stringValue == roleArn)
        #expect(
            set["assumedRoleUser"]?["arn"]?.stringValue
                == "arn:aws:sts::123456789012:assumed-role/web-reader/\(pki.webLeaf.serialNumberHex)")
        // The profile grants 1800 s, below the role's 3600 s maximum.
        #expect(credentials["expiration"]?.stringValue == UTCTimestamp.iso8601(testNow + 1800))
        #expect(
            body["subjectArn"]?.stringValue?.hasPrefix("arn:aws:rolesanywhere:us-east-1:123456789012:subject/") == true)

        let records = try fixture.auditRecords()
        #expect(records.count == 1)
        let record = try #require(records.first)
        #expect(record["requestId"]?.stringValue == requestId)
        #expect(record["operation"]?.stringValue == "CreateSession")
        #expect(record["outcome"]?.stringValue == "allowed")
        #expect(record["reason"] == .null)
        #expect(record["accessKeyId"] == credentials["accessKeyId"])
        #expect(record["expiration"] == credentials["expiration"])
        #expect(record["sourceAddress"]?.stringValue == "203.0.113.7")
        #expect(record["trustAnchorArn"]?.stringValue == anchorArn)
        #expect(record["profileArn"]?.stringValue == profileArn)
        #expect(record["roleArn"]?.stringValue == roleArn)
        #expect(record["time"]?.stringValue == UTCTimestamp.iso8601Milliseconds(testNow * 1000))
        let certificate = try #require(record["certificate"])
        #expect(certificate.keys == ["serialHex", "subject", "issuer", "sha256"])
        #expect(certificate["serialHex"]?.stringValue == pki.webLeaf.serialNumberHex)
        #expect(certificate["sha256"]?.stringValue == pki.webLeaf.sha256Fingerprint)
        #expect(certificate["subject"]?.stringValue == pki.webLeaf.subjectString)
        #expect(certificate["issuer"]?.stringValue == pki.ca.subjectString)
    }

    @Test func auditLogNeverHoldsTheSecretKeyOrSessionToken() throws {
        let fixture = try ServiceFixture()
        let pki = fixture.configuration.pki
        var secrets: [String] = []
        for _ in 0..<3 {
            let response = fixture.service.handle(
                try RequestSigner.signedCreateSession(leaf: pki.webLeaf, key: pki.webKey))
            #expect(response.status == 201)
            let credentials = try #require(try response.json()["credentialSet"]?[0]?["credentials"])
            secrets.append(try #require(credentials["secretAccessKey"]?.stringValue))
            secrets.append(try #require(credentials["sessionToken"]?.stringValue))
        }
        let audit = fixture.auditText
        #expect(audit.split(separator: "\n").count == 3)
        for secret in secrets {
            #expect(!secret.isEmpty)
            #expect(!audit.contains(secret))
            // Nor a recognisable piece of it.
            #expect(!audit.contains(String(secret.prefix(16))))
        }
        #expect(!audit.contains("secretAccessKey"))
        #expect(!audit.contains("sessionToken"))
        #expect(!audit.contains("PRIVATE KEY"))
    }

    @Test func deniedCreateSessionSendsOnlyTheRestJSONErrorAndAuditsTheReason() throws {
        let fixture = try ServiceFixture()
        let pki = fixture.configuration.pki
        let response = fixture.service.handle(try RequestSigner.signedCreateSession(leaf: pki.dbLeaf, key: pki.dbKey))

        #expect(response.status == 403)
        #expect(response.headers["X-Amzn-ErrorType"] == "AccessDeniedException")
        #expect(response.headers["Content-Type"] == "application/json")
        let body = try response.json()
        #expect(body == .object([JSONMember(key: "message", value: .string("Access denied"))]))
        #expect(!response.bodyText.contains("OU"))
        let requestId = try #require(response.headers["x-amzn-RequestId"])

        let record = try #require(try fixture.auditRecords().first)
        #expect(record["requestId"]?.stringValue == requestId)
        #expect(record["outcome"]?.stringValue == "denied")
        #expect(record["reason"]?.stringValue == "trust_policy_not_allowed")
        #expect(record["accessKeyId"] == nil)
        #expect(record["certificate"]?["serialHex"]?.stringValue == pki.dbLeaf.serialNumberHex)
    }

    @Test func badSignatureIsDeniedAsInvalidSignature() throws {
        let fixture = try ServiceFixture()
        let pki = fixture.configuration.pki
        var request = try RequestSigner.signedCreateSession(leaf: pki.webLeaf, key: pki.webKey)
        request.body = RequestSigner.createSessionBody(profileArn: minimalProfileArn)
        let response = fixture.service.handle(request)
        #expect(response.status == 403)
        #expect(try response.json() == .object([JSONMember(key: "message", value: .string("Invalid signature"))]))
        #expect(try fixture.auditRecords().first?["reason"]?.stringValue == "signature_mismatch")
    }

    struct ContentTypeCase: Sendable, CustomTestStringConvertible {
        var contentType: String?
        var status: Int
        var testDescription: String { contentType ?? "no Content-Type" }
    }

    static let contentTypes: [ContentTypeCase] = [
        ContentTypeCase(contentType: "application/json", status: 201),
        ContentTypeCase(contentType: "application/json; charset=utf-8", status: 201),
        ContentTypeCase(contentType: "Application/JSON", status: 201),
        ContentTypeCase(contentType: "application/x-amz-json-1.1", status: 201),
        ContentTypeCase(contentType: nil, status: 201),
        ContentTypeCase(contentType: "text/plain", status: 400),
        ContentTypeCase(contentType: "application/x-www-form-urlencoded", status: 400),
        ContentTypeCase(contentType: "application/jsonx", status: 400),
    ]

    @Test(arguments: contentTypes)
    func contentTypeDecidesWhetherTheBodyIsRead(_ row: ContentTypeCase) throws {
        let fixture = try ServiceFixture()
        let pki = fixture.configuration.pki
        let response = fixture.service.handle(
            try RequestSigner.signedCreateSession(leaf: pki.webLeaf, key: pki.webKey, contentType: row.contentType))
        #expect(response.status == row.status, "\(response.bodyText)")
    }

    @Test func unsupportedContentTypeIsAValidationExceptionAuditedAsMalformed() throws {
        let fixture = try ServiceFixture()
        let pki = fixture.configuration.pki
        let response = fixture.service.handle(
            try RequestSigner.signedCreateSession(leaf: pki.webLeaf, key: pki.webKey, contentType: "text/plain"))
        #expect(response.status == 400)
        #expect(response.headers["X-Amzn-ErrorType"] == "ValidationException")
        #expect(try response.json().keys == ["message"])
        let requestId = try #require(response.headers["x-amzn-RequestId"])
        let record = try #require(try fixture.auditRecords().first)
        #expect(record["requestId"]?.stringValue == requestId)
        #expect(record["outcome"]?.stringValue == "denied")
        #expect(record["reason"]?.stringValue == "malformed_request")
        #expect(record["detail"]?.stringValue?.contains("text/plain") == true)
        #expect(!response.bodyText.contains("text/plain"))
    }

    @Test func unwritableAuditLogAnswers503WithoutCredentials() throws {
        // write(2) on /dev/full fails with ENOSPC.
        let fixture = try ServiceFixture(auditLogPath: "/dev/full")
        let pki = fixture.configuration.pki
        let response = fixture.service.handle(try RequestSigner.signedCreateSession(leaf: pki.webLeaf, key: pki.webKey))
        #expect(response.status == 503)
        #expect(response.headers["X-Amzn-ErrorType"] == "ServiceUnavailableException")
        #expect(response.headers["x-amzn-RequestId"] != nil)
        #expect(
            try response.json()
                == .object([JSONMember(key: "message", value: .string("Service unavailable; try again later"))]))
        for word in ["accessKeyId", "secretAccessKey", "sessionToken", "ASIA"] {
            #expect(!response.bodyText.contains(word))
        }
    }

    /// `/readyz` promises "audit log writable": once a write has failed, the replica must stop reporting ready,
    /// or a load balancer keeps sending it CreateSession calls that can only answer 503.
    @Test func readyzIsNotReadyAfterAnAuditWriteFailed() throws {
        let fixture = try ServiceFixture(auditLogPath: "/dev/full")
        let pki = fixture.configuration.pki
        let response = fixture.service.handle(try RequestSigner.signedCreateSession(leaf: pki.webLeaf, key: pki.webKey))
        #expect(response.status == 503)
        #expect(fixture.service.handle(HTTPRequest(method: "GET", target: "/readyz")).status == 503)
    }

    // MARK: - Routing and health

    struct RouteCase: Sendable, CustomTestStringConvertible {
        var method: String
        var target: String
        var status: Int
        var errorType: String?
        var body: String?
        var testDescription: String { "\(method) \(target)" }
    }

    static let routes: [RouteCase] = [
        RouteCase(method: "GET", target: "/healthz", status: 200, body: "ok\n"),
        RouteCase(method: "HEAD", target: "/healthz", status: 200),
        RouteCase(method: "GET", target: "/readyz", status: 200, body: "ready\n"),
        RouteCase(method: "GET", target: "/nowhere", status: 404, errorType: "UnknownOperationException"),
        RouteCase(method: "POST", target: "/sessions/", status: 404, errorType: "UnknownOperationException"),
        RouteCase(method: "POST", target: "/healthz", status: 404, errorType: "UnknownOperationException"),
        RouteCase(method: "GET", target: "/sessions", status: 405, errorType: "MethodNotAllowedException"),
        RouteCase(method: "PUT", target: "/sessions?x=1", status: 405, errorType: "MethodNotAllowedException"),
    ]

    @Test(arguments: routes)
    func routeIsAnswered(_ row: RouteCase) throws {
        let fixture = try ServiceFixture()
        let response = fixture.service.handle(HTTPRequest(method: row.method, target: row.target))
        #expect(response.status == row.status)
        #expect(Self.isUUIDv4(response.headers["x-amzn-RequestId"]))
        #expect(response.headers.values(for: "x-amzn-RequestId").count == 1)
        #expect(response.headers["X-Amzn-ErrorType"] == row.errorType)
        if let body = row.body { #expect(response.bodyText == body) }
        if row.errorType != nil {
            #expect(response.headers["Content-Type"] == "application/json")
            #expect(try response.json().keys == ["message"])
        }
        // Only CreateSession attempts are audited.
        #expect(fixture.auditText.isEmpty)
    }

    @Test func everyResponseHasItsOwnRequestId() throws {
        let fixture = try ServiceFixture()
        let ids = (0..<5).compactMap { _ in
            fixture.service.handle(HTTPRequest(method: "GET", target: "/healthz")).headers["x-amzn-RequestId"]
        }
        #expect(Set(ids).count == 5)
    }

    @Test func readyzReportsAnAuditLogThatIsGone() throws {
        let fixture = try ServiceFixture()
        try fixture.state.remove("audit.jsonl")
        let response = fixture.service.handle(HTTPRequest(method: "GET", target: "/readyz"))
        #expect(response.status == 503)
    }

    @Test(arguments: [(400, "header too long"), (413, "body exceeds 65536 bytes")])
    func malformedRequestResponseHasTheRestJSONShape(status: Int, reason: String) throws {
        let fixture = try ServiceFixture()
        let response = fixture.service.malformedRequestResponse(status: status, reason: reason)
        #expect(response.status == status)
        #expect(response.headers["X-Amzn-ErrorType"] == "ValidationException")
        #expect(response.headers["Content-Type"] == "application/json")
        #expect(Self.isUUIDv4(response.headers["x-amzn-RequestId"]))
        #expect(try response.json() == .object([JSONMember(key: "message", value: .string(reason))]))
    }
}
