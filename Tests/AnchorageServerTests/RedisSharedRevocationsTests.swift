import AnchorageBasics
import AnchorageConfigFixtures
import AnchorageCore
import AnchorageLocking
import AnchorageRedis
import AnchorageTestSupport
import Foundation
import Testing

@testable import AnchorageServer

/// The replica's side of `anchorage revoke --shared-state`, against a real redis-server.
@Suite struct RedisSharedRevocationsTests {
    @Test("an entry too large for the client's reply limits is skipped: the others are in force, the connection stays")
    func oversizedEntry() throws {
        let redis = try RedisServer()
        defer { redis.stop() }
        let fixture = try ConfigFixture()
        let store = try ConfigurationStore(loader: fixture.loader)
        let state = TemporaryDirectory()
        let audit = try AuditLog(path: state.url("audit.jsonl"))
        let good = Revocation(
            id: "r-good", selector: .certificateSHA256(String(repeating: "ab", count: 32)), revokedAt: testNow)
        // Valid JSON, but larger than one bulk string the client accepts (RESPLimits.maxBulkBytes).
        let huge = Revocation(
            id: "r-huge", selector: .certificateSHA256(String(repeating: "cd", count: 32)), revokedAt: testNow,
            reason: String(repeating: "x", count: RESPLimits.standard.maxBulkBytes + 1))
        let disconnections = Locked(0)
        let client = try RedisClient(RedisClient.Options(endpoint: try RedisEndpoint(url: redis.url))) { event in
            if case .disconnected = event { disconnections.withLock { $0 += 1 } }
        }
        defer { client.stop() }
        #expect(client.waitUntilReady(seconds: 10))
        for entry in [good, huge] {
            let stored = client.sendAndWait([
                RedisCommand("HSET", SharedStateKeys.revocations, entry.id, JSONWriter.string(entry.json)),
                RedisCommand("INCR", SharedStateKeys.revocationsVersion),
            ])
            #expect((try? stored.get())?.allSatisfy { $0.errorCode == nil } == true)
        }

        let revocations = SharedRevocations(
            client: client, store: store, auditLog: audit, logger: Logger(minimumLevel: .error))
        defer { revocations.stop() }
        #expect(revocations.start(), "the revocations were read")
        #expect(store.current.revocations.entry(withID: "r-good") == good)
        #expect(store.current.revocations.entry(withID: "r-huge") == nil)
        // The connection was not torn down by the reply: other commands (admission) keep flowing on it.
        #expect((try? client.sendAndWait([RedisCommand("PING")]).get()) == [.simpleString("PONG")])
        #expect(disconnections.withLock { $0 } == 0)
    }
}
