import AnchorageConfig
import AnchorageConfigFixtures
import AnchorageCore
import AnchorageCrypto
import AnchorageLocking
import AnchorageRedis
import AnchorageServer
import AnchorageTestSupport
import Foundation
import Testing

@testable import AnchorageHTTP

/// A store that decides only when the test says so, like Redis answering later on its own thread.
final class HeldStore: AdmissionStore {
    let settings = RequestAdmission.Settings()
    let held = Locked<[(AdmissionBatch, @Sendable (AdmissionVerdict) -> Void)]>([])
    var checksSourceInBatch: Bool { true }
    func admitSourceEarly(_ address: String) -> CreateSessionOutcome? { nil }
    func admit(_ batch: AdmissionBatch, completion: @escaping @Sendable (AdmissionVerdict) -> Void) {
        held.withLock { $0.append((batch, completion)) }
    }
}

@Suite struct SharedAdmissionTests {
    /// The service over the fixture configuration, deciding admission with `store`.
    static func service(_ store: any AdmissionStore, state: TemporaryDirectory, configuration: ConfigFixture) throws
        -> AnchorageService
    {
        let createSession = CreateSessionService(
            keyring: TokenKeyring.generate(id: "k-test", random: SystemRandomSource()))
        return AnchorageService(
            configurations: try ConfigurationStore(loader: configuration.loader), createSession: createSession,
            auditLog: try AuditLog(path: state.url("audit.jsonl")), clock: FixedClock(seconds: testNow),
            logger: Logger(minimumLevel: .error), admissionStore: store)
    }

    /// What the event loop receives for a pending placeholder.
    static func delivered(_ response: HTTPResponse) -> Locked<HTTPResponse?> {
        let box = Locked<HTTPResponse?>(nil)
        response.pending?.attach { answer in box.withLock { $0 = answer } }
        return box
    }

    @Test("a store that answers later: the handler returns a pending placeholder; the answer is audited when it comes")
    func deferredAnswer() throws {
        let configuration = try ConfigFixture()
        let state = TemporaryDirectory()
        let store = HeldStore()
        let service = try Self.service(store, state: state, configuration: configuration)
        func request() throws -> HTTPRequest {
            try RequestSigner.signedCreateSession(
                leaf: configuration.pki.webLeaf, key: configuration.pki.webKey, now: testNow,
                body: RequestSigner.createSessionBody(roleArn: roleArn), remoteAddress: "203.0.113.7")
        }
        let first = service.handle(try request())
        let second = service.handle(try request())
        #expect(first.pending != nil && second.pending != nil)
        // Verified and authorized inline; nothing audited before the store decided.
        let batches = store.held.withLock { $0 }
        #expect(batches.count == 2)
        #expect(batches[0].0.sourceKey == RequestAdmission.sourceKey("203.0.113.7"))
        #expect(batches[0].0.replayKey != batches[1].0.replayKey, "two signatures, two replay keys")
        #expect(batches[0].0.replayExpiresAt == testNow + 300)
        #expect(((try? state.read("audit.jsonl")) ?? "").isEmpty)

        let issued = Self.delivered(first)
        let refused = Self.delivered(second)
        batches[1].1(.unavailable(detail: "Redis: timeout"))
        batches[0].1(.admitted)
        _ = service.commit(upTo: service.auditLog.recordCount)
        let issuedResponse = try #require(issued.withLock { $0 })
        let refusedResponse = try #require(refused.withLock { $0 })
        #expect(issuedResponse.status == 201)
        #expect(refusedResponse.status == 503)
        #expect(refusedResponse.headers["X-Amzn-ErrorType"] == "ServiceUnavailableException")
        #expect(try refusedResponse.json()["message"]?.stringValue == "Service unavailable; try again later")
        let records = try state.read("audit.jsonl").split(separator: "\n").map { try JSONParser.parse(String($0)) }
        func record(_ response: HTTPResponse) throws -> JSONValue {
            let id = try #require(response.headers["x-amzn-RequestId"])
            return try #require(records.first { $0["requestId"]?.stringValue == id })
        }
        #expect(try record(issuedResponse)["outcome"]?.stringValue == "allowed")
        #expect(try record(refusedResponse)["outcome"]?.stringValue == "error")
        #expect(try record(refusedResponse)["reason"]?.stringValue == "shared_state_unavailable")
        // A request refused before admission never reaches the store and is answered at once.
        var unsigned = try request()
        unsigned.headers.replaceOrAdd(name: "Authorization", value: "AWS4-X509-ECDSA-SHA256 nonsense")
        let direct = service.handle(unsigned)
        #expect(direct.pending == nil && direct.status == 403)
        #expect(store.held.withLock { $0.count } == 2)
    }

    @Test("Redis unreachable: closed refuses (unavailable), open decides with the replica's own state")
    func failureModes() throws {
        var options = RedisClient.Options(endpoint: RedisEndpoint(host: "127.0.0.1", port: try RedisServer.freePort()))
        options.commandTimeout = 2
        let client = try RedisClient(options)
        defer { client.stop() }
        var settings = RequestAdmission.Settings()
        settings.perCertificate = RateLimit(rate: 0.001, burst: 1)
        let batch = AdmissionBatch(
            sourceKey: nil, certificateKey: LimitKey(high: 1, low: 2), replayKey: LimitKey(high: 3, low: 4),
            replayExpiresAt: testNow + 300, now: testNow)
        func decide(_ store: SharedAdmission, _ batch: AdmissionBatch) -> AdmissionVerdict {
            let verdict = Locked<AdmissionVerdict?>(nil)
            let done = DispatchSemaphore(value: 0)
            store.admit(batch) { answer in
                verdict.withLock { $0 = answer }
                done.signal()
            }
            done.wait()
            return verdict.withLock { $0! }
        }
        let closed = SharedAdmission(
            client: client, settings: settings, failureMode: .closed, logger: Logger(minimumLevel: .error))
        guard case .unavailable = decide(closed, batch) else {
            Issue.record("closed mode decided without Redis")
            return
        }
        let open = SharedAdmission(
            client: client, settings: settings, failureMode: .open, logger: Logger(minimumLevel: .error))
        #expect(decide(open, batch) == .admitted)
        // The fallback is real state: the same request again is a replay, another one finds the bucket empty.
        guard case .denied(.replayedRequest, _) = decide(open, batch) else {
            Issue.record("the open-mode fallback forgot the request")
            return
        }
        var other = batch
        other.replayKey = LimitKey(high: 5, low: 6)
        guard case .denied(.throttledCertificate, _) = decide(open, other) else {
            Issue.record("the open-mode fallback has no bucket")
            return
        }
    }

    @Test("the admission script and RequestAdmission decide a random sequence identically (real redis-server)")
    func scriptMatchesEmbedded() throws {
        let redis = try RedisServer()
        let client = try RedisClient(RedisClient.Options(endpoint: RedisEndpoint(host: "127.0.0.1", port: redis.port)))
        defer { client.stop() }
        var settings = RequestAdmission.Settings()
        settings.perSource = RateLimit(rate: 3, burst: 4)
        settings.perCertificate = RateLimit(rate: 0.7, burst: 2)
        final class Clock: MonotonicClock, @unchecked Sendable {
            let microseconds = Locked<UInt64>(1_000_000)
            var nanoseconds: UInt64 { microseconds.withLock { $0 } * 1000 }
        }
        let clock = Clock()
        let embedded = RequestAdmission(settings, clock: clock)
        var generator = SplitMix64(seed: 0x5EED_1234)
        var outcomes: [String: Int] = [:]
        for step in 0..<400 {
            let elapsed = generator.next() % 4 == 0 ? generator.next() % 3_000_000 : generator.next() % 200_000
            let now = clock.microseconds.withLock { value in
                value += elapsed
                return value
            }
            let batch = AdmissionBatch(
                sourceKey: LimitKey(high: 0, low: generator.next() % 2),
                certificateKey: LimitKey(high: 1, low: generator.next() % 3),
                replayKey: LimitKey(high: 2, low: generator.next() % 40), replayExpiresAt: testNow + 300,
                now: testNow + Int64(now / 1_000_000))
            let expected = embedded.decide(batch)
            let reply = client.sendAndWait([
                AdmissionScript.command(batch, settings: settings, inline: true, nowMicroseconds: now)
            ])
            guard case .success(let values) = reply, values.count == 1 else {
                Issue.record("step \(step): \(reply)")
                return
            }
            let actual = AdmissionScript.verdict(values[0])
            func name(_ verdict: AdmissionVerdict) -> String {
                switch verdict {
                case .admitted: return "admitted"
                case .denied(let reason, _): return reason.rawValue
                case .unavailable(let detail): return "unavailable: \(detail)"
                }
            }
            #expect(name(actual) == name(expected), "step \(step) at \(now) µs: \(batch)")
            outcomes[name(expected), default: 0] += 1
        }
        // The sequence reached every outcome, so the comparison covered every branch.
        #expect(
            Set(outcomes.keys) == ["admitted", "throttled_source", "replayed_request", "throttled_certificate"],
            "\(outcomes)")
        // EVALSHA finds the script once loaded.
        _ = client.sendAndWait([RedisCommand("SCRIPT", "LOAD", AdmissionScript.source)])
        let batch = AdmissionBatch(
            sourceKey: nil, certificateKey: LimitKey(high: 9, low: 9), replayKey: LimitKey(high: 9, low: 9),
            replayExpiresAt: testNow + 300, now: testNow)
        guard case .success(let values) = client.sendAndWait([AdmissionScript.command(batch, settings: settings)])
        else {
            Issue.record("EVALSHA failed")
            return
        }
        #expect(AdmissionScript.verdict(values[0]) == .admitted)
    }
}

/// A small deterministic generator (SplitMix64), so a failing sequence can be replayed.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
