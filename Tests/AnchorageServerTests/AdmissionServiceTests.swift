import AnchorageConfig
import AnchorageConfigFixtures
import AnchorageCore
import AnchorageCrypto
import AnchorageHTTP
import AnchorageServer
import AnchorageTestSupport
import Foundation
import Synchronization
import Testing

/// A wall clock and a monotonic clock that tests move by hand.
final class SteppingClocks: WallClock, MonotonicClock {
    private let wall = Atomic<Int64>(testNow * 1000)
    private let monotonic = Atomic<UInt64>(1_000_000_000)
    var milliseconds: Int64 { wall.load(ordering: .relaxed) }
    var nanoseconds: UInt64 { monotonic.load(ordering: .relaxed) }
    func advance(seconds: Int64) {
        wall.add(seconds * 1000, ordering: .relaxed)
        monotonic.add(UInt64(seconds) * 1_000_000_000, ordering: .relaxed)
    }
}

/// The service with rate limits and replay protection, over the fixture configuration.
final class AdmissionFixture: @unchecked Sendable {
    let configuration: ConfigFixture
    let state = TemporaryDirectory()
    let clocks = SteppingClocks()
    let service: AnchorageService

    init(_ settings: RequestAdmission.Settings) throws {
        configuration = try ConfigFixture()
        var createSession = CreateSessionService(
            keyring: TokenKeyring.generate(id: "k-test", random: SystemRandomSource()))
        createSession.admission = RequestAdmission(settings, clock: clocks)
        service = AnchorageService(
            configurations: try ConfigurationStore(loader: configuration.loader), createSession: createSession,
            auditLog: try AuditLog(path: state.url("audit.jsonl")), clock: clocks, logger: Logger(minimumLevel: .error))
    }

    var pki: TestPKI { configuration.pki }

    func signed(remoteAddress: String = "203.0.113.7", roleArn: String = roleArn) throws -> HTTPRequest {
        try RequestSigner.signedCreateSession(
            leaf: pki.webLeaf, key: pki.webKey, now: clocks.seconds,
            body: RequestSigner.createSessionBody(roleArn: roleArn), remoteAddress: remoteAddress)
    }

    /// Status, X-Amzn-ErrorType, message and the audit reason of one request.
    func send(_ request: HTTPRequest) throws -> (status: Int, type: String?, message: String?, reason: String?) {
        let response = service.handle(request)
        let requestId = try #require(response.headers["x-amzn-RequestId"])
        // What the HTTP server does before it sends a held answer.
        _ = service.commit(upTo: service.auditLog.recordCount)
        let records = try ((try? state.read("audit.jsonl")) ?? "").split(separator: "\n").map {
            try JSONParser.parse(String($0))
        }
        let record = try #require(records.first { $0["requestId"]?.stringValue == requestId })
        let message = response.status == 201 ? nil : try response.json()["message"]?.stringValue
        return (response.status, response.headers["X-Amzn-ErrorType"], message, record["reason"]?.stringValue)
    }
}

@Suite struct AdmissionServiceTests {
    static func settings(
        perCertificate: RateLimit? = nil, perSource: RateLimit? = nil, replay: Bool = true, capacity: Int = 1000
    ) -> RequestAdmission.Settings {
        var settings = RequestAdmission.Settings()
        settings.perCertificate = perCertificate
        settings.perSource = perSource
        settings.replayProtection = replay
        settings.replayCacheCapacity = capacity
        return settings
    }

    @Test func defaultsAreOnAndDocumented() {
        let settings = RequestAdmission.Settings()
        #expect(settings.perCertificate == RateLimit(rate: 10, burst: 20))
        #expect(settings.perSource == RateLimit(rate: 100, burst: 200))
        #expect(settings.replayProtection)
        #expect(settings.replayCacheCapacity == 1_000_000)
    }

    @Test func replayedRequestIsRefusedAndAFreshSignaturePasses() throws {
        let fixture = try AdmissionFixture(Self.settings())
        let request = try fixture.signed()
        #expect(try fixture.send(request).status == 201)
        let replay = try fixture.send(request)
        #expect(replay.status == 429)
        #expect(replay.type == "ThrottlingException")
        #expect(replay.message == "Rate exceeded")
        #expect(replay.reason == "replayed_request")
        // The same request signed again (a new ECDSA nonce) is a new request.
        #expect(try fixture.send(try fixture.signed()).status == 201)
        // Still refused near the end of the window; past it the skew check refuses it.
        fixture.clocks.advance(seconds: 300)
        #expect(try fixture.send(request).reason == "replayed_request")
        fixture.clocks.advance(seconds: 1)
        #expect(try fixture.send(request).reason == "clock_skew")
    }

    @Test func theMalleableTwinOfAnECDSASignatureIsAReplayToo() throws {
        let fixture = try AdmissionFixture(Self.settings())
        let request = try fixture.signed()
        #expect(try fixture.send(request).status == 201)
        let authorization = try #require(request.headers["Authorization"])
        let signatureHex = String(try #require(authorization.split(separator: "=").last))
        let twin = ECDSATwin.p256(try #require(Hex.decode(signatureHex)))
        var forged = request
        forged.headers.replaceOrAdd(
            name: "Authorization", value: authorization.replacingOccurrences(of: signatureHex, with: Hex.encode(twin)))
        // (r, n − s) verifies as well as (r, s): keyed on the raw bytes it would pass.
        let result = try fixture.send(forged)
        #expect(result.status == 429)
        #expect(result.reason == "replayed_request")
    }

    @Test func replayProtectionOffAcceptsTheSameBytes() throws {
        let fixture = try AdmissionFixture(Self.settings(replay: false))
        let request = try fixture.signed()
        #expect(try fixture.send(request).status == 201)
        #expect(try fixture.send(request).status == 201)
    }

    @Test func aDeniedRequestIsNotRecorded() throws {
        let fixture = try AdmissionFixture(Self.settings())
        let request = try fixture.signed(roleArn: "arn:aws:iam::123456789012:role/not-in-profile")
        #expect(try fixture.send(request).reason == "role_not_in_profile")
        #expect(try fixture.send(request).reason == "role_not_in_profile")
    }

    @Test func perCertificateLimitAnswersThrottlingAndRecovers() throws {
        let fixture = try AdmissionFixture(Self.settings(perCertificate: RateLimit(rate: 1, burst: 2)))
        #expect(try fixture.send(try fixture.signed()).status == 201)
        #expect(try fixture.send(try fixture.signed(remoteAddress: "198.51.100.1")).status == 201)
        let throttledRequest = try fixture.signed(remoteAddress: "198.51.100.2")
        let throttled = try fixture.send(throttledRequest)
        #expect(throttled.status == 429)
        #expect(throttled.type == "ThrottlingException")
        #expect(throttled.message == "Rate exceeded")
        #expect(throttled.reason == "throttled_certificate")
        // A throttled request was not recorded: once a token is back, the same bytes are accepted.
        fixture.clocks.advance(seconds: 1)
        #expect(try fixture.send(throttledRequest).status == 201)
        #expect(try fixture.send(try fixture.signed()).reason == "throttled_certificate")
    }

    @Test func aReplaySpendsNoToken() throws {
        let fixture = try AdmissionFixture(Self.settings(perCertificate: RateLimit(rate: 0.001, burst: 2)))
        let request = try fixture.signed()
        #expect(try fixture.send(request).status == 201)
        for _ in 0..<5 { #expect(try fixture.send(request).reason == "replayed_request") }
        #expect(try fixture.send(try fixture.signed()).status == 201)
        #expect(try fixture.send(try fixture.signed()).reason == "throttled_certificate")
    }

    @Test func unsignedJunkDoesNotSpendACertificatesTokens() throws {
        let fixture = try AdmissionFixture(Self.settings(perCertificate: RateLimit(rate: 0.001, burst: 1)))
        var junk = try fixture.signed()
        junk.body = Array(#"{"durationSeconds":900}"#.utf8)
        for _ in 0..<5 { #expect(try fixture.send(junk).reason == "signature_mismatch") }
        #expect(try fixture.send(try fixture.signed()).status == 201)
    }

    @Test func perSourceLimitComesFirstAndIsPerAddress() throws {
        let fixture = try AdmissionFixture(Self.settings(perSource: RateLimit(rate: 1, burst: 3)))
        var junk = try fixture.signed(remoteAddress: "192.0.2.1")
        junk.headers.remove(name: "Authorization")
        for _ in 0..<3 { #expect(try fixture.send(junk).reason == "missing_authentication") }
        let throttled = try fixture.send(try fixture.signed(remoteAddress: "192.0.2.1"))
        #expect(throttled.status == 429)
        #expect(throttled.type == "ThrottlingException")
        #expect(throttled.reason == "throttled_source")
        #expect(try fixture.send(try fixture.signed(remoteAddress: "192.0.2.2")).status == 201)
        fixture.clocks.advance(seconds: 1)
        #expect(try fixture.send(try fixture.signed(remoteAddress: "192.0.2.1")).status == 201)
    }

    @Test func aFullReplayCacheRefusesWithThrottling() throws {
        var settings = Self.settings(capacity: 2)
        settings.replayCacheCapacity = 2
        let fixture = try AdmissionFixture(settings)
        // 16 shards of max(1, 2/16) = 1 entry: fill until one shard is full.
        var outcomes: [String?] = []
        for _ in 0..<40 { outcomes.append(try fixture.send(try fixture.signed()).reason) }
        #expect(outcomes.contains("replay_cache_full"))
        let full = try #require(outcomes.firstIndex(of: "replay_cache_full"))
        #expect(outcomes[..<full].allSatisfy { $0 == nil })
        // Entries expire with their window.
        fixture.clocks.advance(seconds: 301)
        #expect(try fixture.send(try fixture.signed()).status == 201)
    }
}

/// `(r, n − s)` for a DER ECDSA P-256 signature `(r, s)`.
enum ECDSATwin {
    static let order: [UInt8] = Hex.decode("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551")!

    static func p256(_ der: [UInt8]) -> [UInt8] {
        var index = 2
        if der[1] & 0x80 != 0 { index += Int(der[1] & 0x7F) }
        let rLength = Int(der[index + 1])
        let r = Array(der[index + 2..<index + 2 + rLength])
        index += 2 + rLength
        let sLength = Int(der[index + 1])
        var s = Array(der[index + 2..<index + 2 + sLength])
        while s.count > 32, s.first == 0 { s.removeFirst() }
        s = Array(repeating: 0, count: 32 - s.count) + s
        var difference = [UInt8](repeating: 0, count: 32)
        var borrow = 0
        for i in (0..<32).reversed() {
            var value = Int(order[i]) - Int(s[i]) - borrow
            borrow = value < 0 ? 1 : 0
            if value < 0 { value += 256 }
            difference[i] = UInt8(value)
        }
        while difference.count > 1, difference.first == 0 { difference.removeFirst() }
        if difference[0] & 0x80 != 0 { difference.insert(0, at: 0) }
        let body = [0x02, UInt8(r.count)] + r + [0x02, UInt8(difference.count)] + difference
        return [0x30, UInt8(body.count)] + body
    }
}
