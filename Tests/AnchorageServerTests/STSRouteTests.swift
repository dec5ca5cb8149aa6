import AnchorageConfig
import AnchorageConfigFixtures
import AnchorageCore
import AnchorageCrypto
import AnchorageHTTP
import AnchorageServer
import AnchorageTestSupport
import Foundation
import Testing

/// `POST /` and `GET /` reach the STS handler, answers carry the request id that the audit line carries.
/// Socket-free: the service is called with request values.
@Suite struct STSRouteTests {
    struct Fixture {
        let service: AnchorageService
        let auditPath: String
        let keyring: TokenKeyring
        let credentials: (accessKeyId: String, secret: String, token: String)

        init(serverNames: ServerNames = .anyHost) throws {
            let root = NSTemporaryDirectory() + "anchorage-sts-route-\(UUID().uuidString)"
            for directory in ["/PKI", "/Profiles/roles", "/state"] {
                try FileManager.default.createDirectory(atPath: root + directory, withIntermediateDirectories: true)
            }
            auditPath = root + "/state/audit.jsonl"
            keyring = TokenKeyring.generate(id: "k-route", random: SystemRandomSource())
            let store = try ConfigurationStore(
                loader: ConfigurationLoader(pkiDirectory: root + "/PKI", profilesDirectory: root + "/Profiles"))
            var createSession = CreateSessionService(keyring: keyring)
            createSession.serverNames = serverNames
            service = AnchorageService(
                configurations: store, createSession: createSession, auditLog: try AuditLog(path: auditPath))
            let now = SystemClock().seconds
            let claims = SessionClaims(
                accessKeyId: "ASIAROUTETEST0000001", secretAccessKey: "routeTestSecret0000000000000000000000000",
                roleArn: "arn:aws:iam::123456789012:role/web-reader", roleSessionName: "route",
                sourceIdentity: "CN=route",
                principalTags: [], trustAnchorArn: "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/x",
                profileArn: "arn:aws:rolesanywhere:us-east-1:123456789012:profile/y", certificateSerialHex: "01",
                certificateSHA256: String(repeating: "0", count: 64), issuedAt: now, expiresAt: now + 900,
                sourceAddress: "127.0.0.1")
            credentials = (
                claims.accessKeyId, claims.secretAccessKey,
                SessionToken.seal(claims, keyring: keyring, random: SystemRandomSource())
            )
        }

        func signedPost(body: String = "Action=GetCallerIdentity&Version=2011-06-15", host: String = "127.0.0.1:8443")
            -> HTTPRequest
        {
            let amzDate = AmzDate(secondsSinceEpoch: SystemClock().seconds)!.string
            var fields: [(name: String, value: String)] = [
                ("Host", host), ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
                ("X-Amz-Date", amzDate), ("X-Amz-Security-Token", credentials.token),
            ]
            let signed = ["content-type", "host", "x-amz-date", "x-amz-security-token"]
            let scope = CredentialScope(date: String(amzDate.prefix(8)), region: "us-east-1", service: "sts")
            fields.append(
                (
                    "Authorization",
                    HMACSigner.authorization(
                        method: "POST", path: "/", query: nil, headers: fields, signedHeaders: signed,
                        body: Array(body.utf8), accessKeyId: credentials.accessKeyId, secret: credentials.secret,
                        amzDate: amzDate, scope: scope)
                ))
            return HTTPRequest(
                method: "POST", target: "/", headers: HTTPHeaders(fields), body: Array(body.utf8),
                remoteAddress: "127.0.0.1")
        }

        func auditLine(_ requestId: String?) throws -> JSONValue? {
            // What the HTTP server does before it sends a held answer.
            _ = service.commit(upTo: service.auditLog.recordCount)
            let text = try String(contentsOfFile: auditPath, encoding: .utf8)
            return try text.split(separator: "\n").map { try JSONParser.parse(String($0)) }
                .first { $0["requestId"]?.stringValue == requestId }
        }
    }

    @Test func postFormAnswersGetCallerIdentityAndAudits() throws {
        let fixture = try Fixture()
        let response = fixture.service.handle(fixture.signedPost())
        #expect(response.status == 200)
        #expect(response.headers["Content-Type"] == "text/xml")
        let body = String(decoding: response.body, as: UTF8.self)
        #expect(body.contains("<Arn>arn:aws:sts::123456789012:assumed-role/web-reader/route</Arn>"))
        let requestId = try #require(response.headers["x-amzn-RequestId"])
        #expect(body.contains("<RequestId>\(requestId)</RequestId>"))
        let line = try #require(try fixture.auditLine(requestId))
        #expect(line["operation"]?.stringValue == "GetCallerIdentity")
        #expect(line["outcome"]?.stringValue == "allowed")
        #expect(line["accessKeyId"]?.stringValue == fixture.credentials.accessKeyId)
        let text = try String(contentsOfFile: fixture.auditPath, encoding: .utf8)
        #expect(!text.contains(fixture.credentials.secret))
        #expect(!text.contains(fixture.credentials.token))
    }

    @Test func unauthenticatedGetIsMissingAuthenticationToken() throws {
        let fixture = try Fixture()
        let response = fixture.service.handle(
            HTTPRequest(
                method: "GET", target: "/?Action=GetCallerIdentity&Version=2011-06-15", remoteAddress: "127.0.0.1"))
        #expect(response.status == 403)
        let body = String(decoding: response.body, as: UTF8.self)
        #expect(body.contains("<Code>MissingAuthenticationToken</Code>"))
        #expect(body.contains("<Type>Sender</Type>"))
        let line = try #require(try fixture.auditLine(response.headers["x-amzn-RequestId"]))
        #expect(line["reason"]?.stringValue == "missing_authentication")
        #expect(line["outcome"]?.stringValue == "denied")
    }

    @Test func jsonOnRequest() throws {
        let fixture = try Fixture()
        var request = fixture.signedPost(body: "Action=GetSessionContext&Version=2011-06-15")
        request.headers.add(name: "Accept", value: "application/json")
        let response = fixture.service.handle(request)
        #expect(response.status == 200)
        #expect(response.headers["Content-Type"] == "application/json")
        let json = try JSONParser.parse(response.body)
        #expect(
            json["GetSessionContextResponse"]?["GetSessionContextResult"]?["RoleSessionName"]?.stringValue == "route")
    }

    @Test func otherMethodsOnRootAreNotSTS() throws {
        let fixture = try Fixture()
        #expect(fixture.service.handle(HTTPRequest(method: "PUT", target: "/")).status == 404)
    }
}
