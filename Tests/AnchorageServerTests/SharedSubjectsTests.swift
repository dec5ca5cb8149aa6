import AnchorageControlPlane
import AnchorageRedis
import AnchorageTestSupport
import Dispatch
import Foundation
import Testing

@testable import AnchorageServer

/// Two (or more) "replicas": each a ``SubjectStore`` with its own Redis client and ``SharedSubjects``, as
/// `anchorage serve --shared-state` wires them, synchronized by the test instead of the flush timer.
private struct Replica {
    let client: RedisClient
    let store = SubjectStore(path: nil)
    let shared: SharedSubjects

    init(_ redis: RedisServer) throws {
        var options = RedisClient.Options(endpoint: RedisEndpoint(host: "127.0.0.1", port: redis.port))
        options.commandTimeout = 5
        client = try RedisClient(options)
        guard client.waitUntilReady(seconds: 20) else { throw TestFailure("Redis did not answer") }
        shared = SharedSubjects(client: client, store: store, logger: Logger(minimumLevel: .error))
    }

    /// One exchange with Redis, waited for (the hang guard is not a performance bound).
    func sync() throws {
        let semaphore = DispatchSemaphore(value: 0)
        shared.synchronize { semaphore.signal() }
        guard semaphore.wait(timeout: .now() + 30) == .success else { throw TestFailure("no exchange") }
    }

    func record(_ arn: String, serial: String, at now: Int64, certificate: String? = nil) {
        store.record(
            subjectArn: arn, subject: "CN=\(serial)", serialHex: serial, issuer: "CN=Issuing CA",
            certificateBase64: certificate, now: now)
    }

    var subjects: [String: SubjectRecord] {
        Dictionary(
            uniqueKeysWithValues: store.subjects(account: "123456789012", region: "us-east-1").map { ($0.arn, $0) })
    }

    func redis(_ arguments: String...) throws -> RESPValue {
        guard
            case .success(let replies) = client.sendAndWait([
                RedisCommand(arguments[0], arguments: Array(arguments.dropFirst()))
            ]),
            let reply = replies.first
        else { throw TestFailure("Redis did not answer \(arguments[0])") }
        return reply
    }
}

private func subjectArn(_ n: Int) -> String {
    "arn:aws:rolesanywhere:us-east-1:123456789012:subject/00000000-0000-4000-8000-\(String(format: "%012d", n))"
}

/// A fresh Redis and two replicas of it, for `body`; the replicas' clients are stopped after.
private func withTwoReplicas(_ body: (RedisServer, Replica, Replica) throws -> Void) throws {
    let redis = try RedisServer()
    let a = try Replica(redis)
    let b = try Replica(redis)
    defer {
        a.client.stop()
        b.client.stop()
    }
    try body(redis, a, b)
}

@Suite(.serialized) struct SharedSubjectsTests {
    @Test("two replicas converge through Redis: lastSeenAt the latest, createdAt the first, certificates united")
    func converge() throws {
        try withTwoReplicas { redis, a, b in
            a.record(subjectArn(1), serial: "01", at: 100, certificate: "QUJD/+RF")
            b.record(subjectArn(1), serial: "02", at: 200)
            b.record(subjectArn(2), serial: "03", at: 150)
            try a.sync()
            try b.sync()
            try a.sync()
            for replica in [a, b] {
                let subjects = replica.subjects
                #expect(subjects.count == 2)
                let merged = try #require(subjects[subjectArn(1)])
                #expect(merged.lastSeenAt == 200)
                #expect(merged.createdAt == 100)
                #expect(merged.credentials.map(\.serialNumber).sorted() == ["01", "02"])
                #expect(merged.credentials.first { $0.serialNumber == "01" }?.certificateBase64 == "QUJD/+RF")
                #expect(subjects[subjectArn(2)]?.lastSeenAt == 150)
            }
            #expect(try a.redis("HLEN", SharedStateKeys.subjects) == .integer(2))
        }
    }

    @Test("the merged certificates are bounded as the store bounds them: the latest sightings stay")
    func boundedCredentials() throws {
        try withTwoReplicas { redis, a, b in
            for (serial, at) in [("1", 10), ("2", 11), ("3", 12)] {
                a.record(subjectArn(1), serial: serial, at: Int64(at))
            }
            for (serial, at) in [("4", 13), ("5", 14), ("6", 15), ("1", 16)] {
                b.record(subjectArn(1), serial: serial, at: Int64(at))
            }
            try a.sync()
            try b.sync()
            try a.sync()
            for replica in [a, b] {
                let record = try #require(replica.subjects[subjectArn(1)])
                #expect(record.credentials.count == SubjectStore.maximumCredentialsPerSubject)
                #expect(Set(record.credentials.map(\.serialNumber)) == ["1", "4", "5", "6"])
                #expect(record.credentials.first { $0.serialNumber == "1" }?.seenAt == 16)
            }
        }
    }

    @Test("Redis keeps at most maximumSubjects subjects, the least recently seen forgotten; replicas adopt them")
    func boundedSubjects() throws {
        try withTwoReplicas { redis, a, b in
            let maximum = SubjectStore.maximumSubjects
            for n in 1...maximum { a.record(subjectArn(n), serial: "a", at: Int64(n)) }
            for n in 1...5 { b.record(subjectArn(maximum + n), serial: "b", at: Int64(2 * maximum + n)) }
            for _ in 0...(maximum / SharedSubjects.pushLimit) { try a.sync() }
            #expect(try a.redis("HLEN", SharedStateKeys.subjects) == .integer(Int64(maximum)))
            for _ in 0...(maximum / SharedSubjects.pullLimit + 1) { try b.sync() }
            #expect(try a.redis("HLEN", SharedStateKeys.subjects) == .integer(Int64(maximum)))
            #expect(try a.redis("ZCARD", SharedStateKeys.subjectsSeen) == .integer(Int64(maximum)))
            #expect(try a.redis("HEXISTS", SharedStateKeys.subjects, subjectArn(5)) == .integer(0))
            #expect(try a.redis("HEXISTS", SharedStateKeys.subjects, subjectArn(6)) == .integer(1))
            try a.sync()
            for replica in [a, b] {
                let subjects = replica.subjects
                #expect(subjects.count == maximum)
                #expect(subjects[subjectArn(maximum + 5)] != nil)
                #expect(subjects[subjectArn(5)] == nil)
                #expect(subjects[subjectArn(6)] != nil)
            }
        }
    }

    @Test("Redis down: the subjects stay local and reach the other replicas when it returns")
    func redisDown() throws {
        try withTwoReplicas { redis, a, b in
            a.record(subjectArn(1), serial: "01", at: 100)
            try a.sync()
            redis.stop()
            a.record(subjectArn(2), serial: "02", at: 200)
            try a.sync()
            try a.sync()
            #expect(a.subjects.keys.sorted() == [subjectArn(1), subjectArn(2)], "kept in memory")
            try redis.start()
            #expect(a.client.waitUntilReady(seconds: 30) && b.client.waitUntilReady(seconds: 30))
            try a.sync()
            try b.sync()
            #expect(b.subjects.keys.sorted() == [subjectArn(1), subjectArn(2)])
        }
    }

    @Test("Redis lost its data (FLUSHALL): a replica sees the new epoch and pushes its subjects again")
    func lostData() throws {
        try withTwoReplicas { redis, a, b in
            a.record(subjectArn(1), serial: "01", at: 100)
            try a.sync()
            _ = try a.redis("FLUSHALL")
            b.record(subjectArn(2), serial: "02", at: 200)
            try b.sync()
            try a.sync()  // sees the epoch B set
            try a.sync()  // pushes everything, reads everything
            try b.sync()
            for replica in [a, b] {
                #expect(replica.subjects.keys.sorted() == [subjectArn(1), subjectArn(2)])
            }
        }
    }

    @Test("bad records in Redis are skipped on a pull and replaced on a push, never a crash")
    func badRecords() throws {
        let redis = try RedisServer()
        let a = try Replica(redis)
        defer { a.client.stop() }
        a.record(subjectArn(1), serial: "01", at: 100)
        try a.sync()
        _ = try a.redis("HSET", SharedStateKeys.subjects, subjectArn(2), "{not json")
        let wrongId =
            #"{"subjectId":"other","subjectArn":"\#(subjectArn(3))","x509Subject":"CN=x","createdAt":1,"#
            + #""lastSeenAt":1,"credentials":[{"serialNumber":"1","issuer":"x","seenAt":1,"x509CertificateData":""}]}"#
        _ = try a.redis("HSET", SharedStateKeys.subjects, subjectArn(3), wrongId)
        _ = try a.redis("HSET", SharedStateKeys.subjects, subjectArn(4), "{not json")
        for n in 2...4 { _ = try a.redis("ZADD", SharedStateKeys.subjectsChanges, "1000", subjectArn(n)) }
        _ = try a.redis("SET", SharedStateKeys.subjectsVersion, "1000")
        try a.sync()
        #expect(a.subjects.keys.sorted() == [subjectArn(1)])
        // A push over a record that does not parse replaces it.
        a.record(subjectArn(4), serial: "04", at: 300)
        try a.sync()
        let stored = try a.redis("HGET", SharedStateKeys.subjects, subjectArn(4))
        guard case .bulkString(let bytes?) = stored else { throw TestFailure("no record") }
        #expect(SubjectRecord(sharedBytes: bytes)?.lastSeenAt == 300)
    }
}
