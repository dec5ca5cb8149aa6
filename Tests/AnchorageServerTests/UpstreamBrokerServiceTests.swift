import AnchorageConfig
import AnchorageConfigFixtures
import AnchorageCore
import AnchorageCrypto
import AnchorageLocking
import AnchorageRedis
import AnchorageTestSupport
import Dispatch
import Foundation
import Testing

@testable import AnchorageHTTP
@testable import AnchorageServer

/// CreateSession for a brokered role through ``AnchorageService/handle(_:)``, with the upstream replaced by a
/// scripted transport: the answer comes through the deferred response, audited first; refusals never reach the
/// transport; retries and the pool's bound.
@Suite struct UpstreamBrokerServiceTests {
    static let issuedXML = """
        <AssumeRoleResponse><AssumeRoleResult><AssumedRoleUser>\
        <Arn>arn:aws:sts::123456789012:assumed-role/web-reader/0123</Arn><AssumedRoleId>AROAX:0123</AssumedRoleId>\
        </AssumedRoleUser><Credentials><AccessKeyId>ASIAUPSTREAM00000001</AccessKeyId>\
        <SecretAccessKey>upstream-secret</SecretAccessKey><SessionToken>upstream-token</SessionToken>\
        <Expiration>2026-12-06T08:00:00Z</Expiration></Credentials></AssumeRoleResult>\
        <ResponseMetadata><RequestId>up-rid-1</RequestId></ResponseMetadata></AssumeRoleResponse>
        """

    /// A transport answering from `script` in order (the last entry repeats), recording every request.
    final class ScriptedTransport: Sendable {
        let script: [Result<(status: Int, body: [UInt8]), UpstreamFailure>]
        let sent = Locked([AssumeRoleRequest]())

        init(_ script: [Result<(status: Int, body: [UInt8]), UpstreamFailure>]) { self.script = script }

        var transport: UpstreamBroker.Transport {
            { request, _, _ in
                let index = self.sent.withLock { sent in
                    sent.append(request)
                    return sent.count - 1
                }
                return self.script[min(index, self.script.count - 1)]
            }
        }

        static let issued: Result<(status: Int, body: [UInt8]), UpstreamFailure> = .success(
            (200, Array(issuedXML.utf8)))
    }

    struct Fixture {
        let configuration: ConfigFixture
        let state = TemporaryDirectory()
        let auditLog: AuditLog
        let service: AnchorageService

        init(ou: String = "web", broker: UpstreamBroker, admissionStore: (any AdmissionStore)? = nil) throws {
            configuration = try ConfigFixture()
            try configuration.makeBrokered(ou: ou)
            auditLog = try AuditLog(path: state.url("audit.jsonl"))
            service = AnchorageService(
                configurations: try ConfigurationStore(loader: configuration.loader),
                createSession: CreateSessionService(
                    keyring: TokenKeyring.generate(id: "k-test", random: SystemRandomSource())),
                auditLog: auditLog, clock: FixedClock(seconds: testNow), logger: Logger(minimumLevel: .error),
                upstreamBroker: broker, admissionStore: admissionStore)
        }

        func auditRecords() throws -> [JSONValue] {
            _ = auditLog.commit(upTo: auditLog.recordCount)
            return try ((try? state.read("audit.jsonl")) ?? "").split(separator: "\n").map {
                try JSONParser.parse(String($0))
            }
        }

        /// Sends a signed CreateSession for the web leaf; the answer, waiting for a pending one to complete.
        /// `handled` runs once the handler returned, before the wait for the answer.
        func createSession(handled: () -> Void = {}) throws -> (response: HTTPResponse, wasPending: Bool) {
            let pki = configuration.pki
            return try answer(
                try RequestSigner.signedCreateSession(leaf: pki.webLeaf, key: pki.webKey), handled: handled)
        }

        /// The answer to `request`, waited for when it is pending.
        func answer(_ request: HTTPRequest, handled: () -> Void = {}) throws -> (
            response: HTTPResponse, wasPending: Bool
        ) {
            let placeholder = service.handle(request)
            handled()
            guard let promise = placeholder.pending else { return (placeholder, false) }
            let delivered = Locked<HTTPResponse?>(nil)
            let done = DispatchSemaphore(value: 0)
            promise.attach { response in
                delivered.withLock { $0 = response }
                done.signal()
            }
            // A guard against a hang, not a time bound on the exchange.
            guard done.wait(timeout: .now() + 60) == .success, let response = delivered.withLock({ $0 }) else {
                throw TestFailure("the pending response was never completed")
            }
            return (response, true)
        }
    }

    @Test func brokeredRoleIsAnsweredThroughThePromiseWithTheUpstreamsCredentials() throws {
        let transport = ScriptedTransport([ScriptedTransport.issued])
        // The upstream answers only once the handler returned: otherwise a fast worker may deliver first, and the
        // handler then returns the answer itself (also correct, but not the path this test is about).
        let returned = DispatchSemaphore(value: 0)
        let fixture = try Fixture(
            broker: UpstreamBroker(
                clock: FixedClock(seconds: testNow),
                transport: { request, upstream, seconds in
                    returned.wait()
                    return transport.transport(request, upstream, seconds)
                }))
        let (response, wasPending) = try fixture.createSession(handled: { returned.signal() })
        #expect(wasPending)
        #expect(response.status == 201, "\(response.bodyText)")
        let requestId = try #require(response.headers["x-amzn-RequestId"])
        let set = try #require(try response.json()["credentialSet"]?[0])
        #expect(set["credentials"]?["accessKeyId"]?.stringValue == "ASIAUPSTREAM00000001")
        #expect(set["credentials"]?["secretAccessKey"]?.stringValue == "upstream-secret")
        #expect(set["credentials"]?["sessionToken"]?.stringValue == "upstream-token")
        #expect(set["credentials"]?["expiration"]?.stringValue == "2026-12-06T08:00:00Z")
        #expect(set["assumedRoleUser"]?["arn"]?.stringValue == "arn:aws:sts::123456789012:assumed-role/web-reader/0123")
        #expect(set["roleArn"]?.stringValue == roleArn)

        // One AssumeRole, signed with the credentials file's key, carrying the decision.
        let sent = transport.sent.withLock { $0 }
        #expect(sent.count == 1)
        let request = try #require(sent.first)
        let authorization = request.headers.first { $0.name == "Authorization" }?.value ?? ""
        #expect(authorization.contains("Credential=\(ConfigFixture.upstreamAccessKeyId)/"))
        let body = String(decoding: request.body, as: UTF8.self)
        #expect(body.contains("RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fweb-reader"))
        #expect(body.contains("RoleSessionName=\(fixture.configuration.pki.webLeaf.serialNumberHex)"))
        #expect(body.contains("DurationSeconds=1800"))

        let record = try #require(try fixture.auditRecords().last)
        #expect(record["requestId"]?.stringValue == requestId)
        #expect(record["outcome"]?.stringValue == "allowed")
        #expect(record["accessKeyId"]?.stringValue == "ASIAUPSTREAM00000001")
        #expect(record["upstream"]?["name"]?.stringValue == "aws")
        #expect(record["upstream"]?["requestId"]?.stringValue == "up-rid-1")
        #expect(
            record["upstream"]?["assumedRoleArn"]?.stringValue
                == "arn:aws:sts::123456789012:assumed-role/web-reader/0123")
        #expect(!(try fixture.auditRecords().description.contains("upstream-secret")))
    }

    @Test(
        "a replayed request for a brokered role is refused (429) before it goes upstream: embedded and shared admission"
    )
    func replayIsRefusedBeforeTheUpstream() throws {
        let redis = try RedisServer()
        defer { redis.stop() }
        var options = RedisClient.Options(endpoint: try RedisEndpoint(url: redis.url))
        options.setup = [RedisCommand("SCRIPT", "LOAD", AdmissionScript.source)]
        let client = try RedisClient(options)
        defer { client.stop() }
        #expect(client.waitUntilReady(seconds: 10))
        let stores: [any AdmissionStore] = [
            RequestAdmission(RequestAdmission.Settings()),
            SharedAdmission(
                client: client, settings: RequestAdmission.Settings(), failureMode: .closed,
                logger: Logger(minimumLevel: .error)),
        ]
        for store in stores {
            let transport = ScriptedTransport([ScriptedTransport.issued])
            let fixture = try Fixture(
                broker: UpstreamBroker(clock: FixedClock(seconds: testNow), transport: transport.transport),
                admissionStore: store)
            let pki = fixture.configuration.pki
            let request = try RequestSigner.signedCreateSession(leaf: pki.webLeaf, key: pki.webKey)
            #expect(try fixture.answer(request).response.status == 201, "\(type(of: store))")
            let replayed = try fixture.answer(request).response
            #expect(replayed.status == 429, "\(type(of: store)): \(replayed.bodyText)")
            #expect(transport.sent.withLock { $0.count } == 1, "the replay never reached the upstream")
            #expect(try fixture.auditRecords().last?["reason"]?.stringValue == "replayed_request")
        }
    }

    @Test func refusedDecisionNeverReachesTheTransport() throws {
        let transport = ScriptedTransport([ScriptedTransport.issued])
        let fixture = try Fixture(
            ou: "ops", broker: UpstreamBroker(clock: FixedClock(seconds: testNow), transport: transport.transport))
        let (response, wasPending) = try fixture.createSession()
        #expect(!wasPending)
        #expect(response.status == 403)
        #expect(transport.sent.withLock { $0.count } == 0)
        #expect(try fixture.auditRecords().last?["reason"]?.stringValue == "trust_policy_not_allowed")
    }

    @Test(
        "failures: one retry for a transport failure or a 5xx, none otherwise; the caller's status",
        arguments: [
            ([.failure(.unreachable("refused")), ScriptedTransport.issued], 201, 2),
            ([.success((500, Array("<Code>InternalFailure</Code>".utf8)))], 503, 2),
            ([.failure(.unreachable("refused"))], 503, 2),
            ([.success((403, Array("<Code>AccessDenied</Code><Message>no</Message>".utf8)))], 403, 1),
            ([.success((400, Array("<Code>Throttling</Code>".utf8)))], 429, 1),
            ([.success((200, Array("<AssumeRoleResponse/>".utf8)))], 503, 1),
            // Credentials that expired before they were issued are a broken upstream's (or clock's), never handed out.
            (
                [
                    .success(
                        (
                            200,
                            Array(
                                Self.issuedXML.replacingOccurrences(
                                    of: "2026-12-06T08:00:00Z", with: "2026-11-25T03:04:05Z"
                                )
                                .utf8)
                        ))
                ], 503, 1
            ),
            // Credentials of another role or account than the one asked for are never handed out.
            (
                [
                    .success(
                        (
                            200,
                            Array(Self.issuedXML.replacingOccurrences(of: "role/web-reader/", with: "role/admin/").utf8)
                        ))
                ], 503, 1
            ),
            (
                [
                    .success(
                        (200, Array(Self.issuedXML.replacingOccurrences(of: "123456789012", with: "999999999999").utf8))
                    )
                ],
                503, 1
            ),
        ] as [([Result<(status: Int, body: [UInt8]), UpstreamFailure>], Int, Int)])
    func failures(script: [Result<(status: Int, body: [UInt8]), UpstreamFailure>], status: Int, attempts: Int)
        throws
    {
        let transport = ScriptedTransport(script)
        let fixture = try Fixture(
            broker: UpstreamBroker(clock: FixedClock(seconds: testNow), transport: transport.transport))
        let (response, _) = try fixture.createSession()
        #expect(response.status == status, "\(response.bodyText)")
        #expect(transport.sent.withLock { $0.count } == attempts)
        let record = try #require(try fixture.auditRecords().last)
        #expect(record["upstream"]?["attempts"]?.intValue == attempts)
        if status != 201 { #expect(record["accessKeyId"] == nil) }
    }

    @Test func fullPoolAnswers503WithoutQueueing() throws {
        let transport = ScriptedTransport([ScriptedTransport.issued])
        let fixture = try Fixture(
            broker: UpstreamBroker(
                clock: FixedClock(seconds: testNow), threads: 1, queueLimit: 0, transport: transport.transport))
        let (response, _) = try fixture.createSession()
        #expect(response.status == 503)
        #expect(response.headers["X-Amzn-ErrorType"] == "ServiceUnavailableException")
        #expect(transport.sent.withLock { $0.count } == 0)
        #expect(try fixture.auditRecords().last?["upstream"]?["errorCode"]?.stringValue == "overloaded")
    }

    /// With its only worker held by a hung exchange, a second exchange is answered (503) by the watchdog while the
    /// first is still held: the wait for a worker counts against the upstream's timeout.
    @Test func exchangeWaitingForAWorkerIsAnsweredByTheWatchdog() throws {
        let fixture = try ConfigFixture()
        try fixture.makeBrokered()
        let release = DispatchSemaphore(value: 0)
        let sent = Locked(0)
        let broker = UpstreamBroker(
            clock: FixedClock(seconds: testNow), threads: 1,
            transport: { _, _, _ in
                sent.withLock { $0 += 1 }
                release.wait()
                return ScriptedTransport.issued
            })
        let upstream = try #require(try fixture.loader.load(generation: 1).upstreams["aws"])
        var quick = upstream
        quick.timeoutSeconds = 1
        // The held exchange's own watchdog must not fire first, however slow the machine.
        var patient = upstream
        patient.timeoutSeconds = 60
        let parameters = AssumeRoleParameters(
            roleArn: roleArn, roleSessionName: "s1", durationSeconds: 900, sourceIdentity: nil, tags: [], policy: nil,
            policyArns: [])
        func session(_ upstream: Upstream) -> BrokeredSession {
            BrokeredSession(
                upstream: upstream, parameters: parameters, droppedTagKeys: [], roleArn: roleArn, sourceIdentity: "x",
                subjectArn: "arn:aws:rolesanywhere:us-east-1:123456789012:subject/x")
        }
        let answers = Locked([String]())
        let second = DispatchSemaphore(value: 0)
        let first = DispatchSemaphore(value: 0)
        broker.exchange(session(patient)) { answer, _ in
            answers.withLock { $0.append("first: \((try? answer.get()) == nil ? "failure" : "issued")") }
            first.signal()
        }
        broker.exchange(session(quick)) { answer, attempts in
            answers.withLock { $0.append("second: \(attempts) \((try? answer.get()) == nil ? "failure" : "issued")") }
            second.signal()
        }
        // Guards against a hang only; the assertion is the order of the answers.
        #expect(second.wait(timeout: .now() + 60) == .success)
        #expect(sent.withLock { $0 } == 1, "the second exchange never reached the transport")
        release.signal()
        release.signal()
        #expect(first.wait(timeout: .now() + 60) == .success)
        #expect(answers.withLock { $0 } == ["second: 0 failure", "first: issued"])
    }

    @Test func credentialsFileTurnedUnreadableIs503AndNotSent() throws {
        let transport = ScriptedTransport([ScriptedTransport.issued])
        let fixture = try Fixture(
            broker: UpstreamBroker(clock: FixedClock(seconds: testNow), transport: transport.transport))
        chmod(fixture.configuration.directory.url(ConfigFixture.upstreamCredentialsFile), 0o644)
        let (response, _) = try fixture.createSession()
        #expect(response.status == 503)
        #expect(transport.sent.withLock { $0.count } == 0)
        #expect(try fixture.auditRecords().last?["upstream"]?["errorCode"]?.stringValue == "credentials_unavailable")
    }
}
