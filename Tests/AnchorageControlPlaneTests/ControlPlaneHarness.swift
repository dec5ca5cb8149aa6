import AnchorageConfig
import AnchorageConfigFixtures
import AnchorageControlPlane
import AnchorageCore
import AnchorageLocking
import Foundation

/// Decides as told and remembers every request it was asked about. By default it allows everything in the
/// caller's own account and denies `cross_account` otherwise, as the identity-policy authorizer does.
final class TestAuthorizer: ControlPlaneAuthorizing {
    let requests = Locked<[AuthorizationRequest]>([])
    let deny: @Sendable (AuthorizationRequest) -> String?

    init(deny: @escaping @Sendable (AuthorizationRequest) -> String? = { _ in nil }) { self.deny = deny }

    func authorize(_ caller: ControlPlaneCaller, _ request: AuthorizationRequest) -> AuthorizationDecision {
        requests.withLock { $0.append(request) }
        for resource in request.resources where resource != "*" {
            if let arn = ARN(resource), arn.account != caller.account { return .denied(reason: "cross_account") }
        }
        if let reason = deny(request) { return .denied(reason: reason) }
        return .allowed
    }

    var last: AuthorizationRequest? { requests.withLock { $0.last } }
}

/// The API over a fixture configuration (``ConfigFixture``: trust anchors `main` and `second`, profiles `web`
/// and `minimal`, role `web-reader`, all in 123456789012/us-east-1), called like the HTTP glue calls it.
struct ControlPlaneHarness {
    let fixture: ConfigFixture
    let authorizer: TestAuthorizer
    let subjects: SubjectStore
    let api: RolesAnywhereAPI

    init(authorizer: TestAuthorizer = TestAuthorizer(), subjectsPath: String? = nil) throws {
        fixture = try ConfigFixture()
        self.authorizer = authorizer
        subjects = SubjectStore(path: subjectsPath)
        api = RolesAnywhereAPI(
            editor: ConfigurationEditor(
                pkiDirectory: fixture.pkiDirectory, profilesDirectory: fixture.profilesDirectory, synced: false),
            subjects: subjects, clock: FixedClock(seconds: testNow))
    }

    struct Answer {
        var status: Int
        var errorType: String?
        var json: JSONValue
        var audit: ControlPlaneAuditFacts

        var message: String { json["message"]?.stringValue ?? "" }
        subscript(_ key: String) -> JSONValue? { json[key] }
    }

    static func caller(account: String = "123456789012", region: String = "us-east-1") -> ControlPlaneCaller {
        ControlPlaneCaller(
            claims: SessionClaims(
                accessKeyId: "ASIATEST", secretAccessKey: "secret", roleArn: "arn:aws:iam::\(account):role/admin",
                roleSessionName: "admin", sourceIdentity: "", principalTags: [], trustAnchorArn: anchorArn,
                profileArn: profileArn, certificateSerialHex: "01", certificateSHA256: "00", issuedAt: testNow,
                expiresAt: testNow + 3600, sourceAddress: "127.0.0.1"),
            account: account, region: region, sourceAddress: "127.0.0.1")
    }

    /// Calls the API; the path must be one of the model's.
    func call(
        _ method: String, _ path: String, query: String? = nil, _ body: JSONValue? = nil,
        caller: ControlPlaneCaller = caller()
    ) throws -> Answer {
        guard
            let response = api.handle(
                method: method, path: path, rawQuery: query, body: body.map(JSONWriter.bytes) ?? [], caller: caller,
                authorizer: authorizer)
        else { throw HarnessError("\(method) \(path) is not a control-plane route") }
        let json = response.body.isEmpty ? JSONValue.object([]) : try JSONParser.parse(response.body)
        return Answer(
            status: response.status,
            errorType: response.headers.first { $0.name == "X-Amzn-ErrorType" }?.value, json: json,
            audit: response.audit)
    }

    /// CreateTrustAnchor with the fixture's other CA.
    func createTrustAnchor(name: String = "lab anchor", enabled: Bool = true, extra: [JSONMember] = []) throws -> Answer
    {
        try call(
            "POST", "/trustanchors",
            .object(
                [
                    JSONMember(key: "name", value: .string(name)),
                    JSONMember(
                        key: "source",
                        value: .object([
                            "sourceType": .string("CERTIFICATE_BUNDLE"),
                            "sourceData": .object(["x509CertificateData": .string(fixture.pki.otherCA.pemString)]),
                        ])),
                    JSONMember(key: "enabled", value: .bool(enabled)),
                ] + extra))
    }

    /// CreateProfile for the fixture role.
    func createProfile(name: String, extra: [JSONMember] = []) throws -> Answer {
        try call(
            "POST", "/profiles",
            .object(
                [
                    JSONMember(key: "name", value: .string(name)),
                    JSONMember(key: "roleArns", value: .array([.string(roleArn)])),
                    JSONMember(key: "enabled", value: .bool(true)),
                ] + extra))
    }

    /// The configuration as the server would load it now.
    func load() throws -> Configuration { try fixture.loader.load(generation: 1) }

    func readJSON(_ relative: String) throws -> JSONValue {
        try JSONParser.parse([UInt8](FileManager.default.contents(atPath: fixture.url(relative)) ?? Data()))
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
