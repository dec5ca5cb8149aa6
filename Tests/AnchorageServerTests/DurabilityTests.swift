import AnchorageConfigFixtures
import AnchorageCore
import AnchorageCrypto
import AnchorageHTTP
import AnchorageLocking
import AnchorageServer
import AnchorageTestSupport
import Foundation
import Testing

/// The audit log's durability rules and the token keyring's reload (issue 7, faults and durability).
@Suite struct AuditLogDurabilityTests {
    static func record(_ id: String) -> JSONValue {
        .object([
            JSONMember(key: "requestId", value: .string(id)), JSONMember(key: "outcome", value: .string("allowed")),
        ])
    }

    @Test(arguments: [AuditLog.Sync.data, .none])
    func appendsOneCompleteLinePerRecord(_ sync: AuditLog.Sync) throws {
        let directory = TemporaryDirectory()
        let log = try AuditLog(path: directory.url("audit.jsonl"), sync: sync)
        #expect(log.append(Self.record("a")))
        #expect(log.append(Self.record("b")))
        #expect(log.isWritable)
        #expect(
            try directory.read("audit.jsonl") == #"{"requestId":"a","outcome":"allowed"}"# + "\n"
                + #"{"requestId":"b","outcome":"allowed"}"# + "\n")
    }

    /// A crash in the middle of a write leaves the start of a record whose answer was never sent. The next
    /// open cuts it off (and reports it), so the next record starts on its own line and every line parses.
    @Test func aTornLastLineIsCutOffWhenTheLogIsOpened() throws {
        let directory = TemporaryDirectory()
        let complete = #"{"requestId":"a","outcome":"allowed"}"# + "\n"
        let torn = #"{"time":"2026-01-01T00:00:00.000Z","requestId":"b","oper"#
        try directory.write("audit.jsonl", complete + torn)
        let log = try AuditLog(path: directory.url("audit.jsonl"))
        #expect(log.repairedTail == torn)
        #expect(log.append(Self.record("c")))
        let lines = try directory.read("audit.jsonl").split(separator: "\n")
        #expect(lines.count == 2)
        for line in lines { _ = try JSONParser.parse(String(line)) }

        // A log that ends with a newline is left alone.
        let again = try AuditLog(path: directory.url("audit.jsonl"))
        #expect(again.repairedTail == nil)
    }

    @Test func aTornOnlyLineIsCutOff() throws {
        let directory = TemporaryDirectory()
        try directory.write("audit.jsonl", #"{"time":"#)
        let log = try AuditLog(path: directory.url("audit.jsonl"))
        #expect(log.repairedTail == #"{"time":"#)
        #expect(try directory.read("audit.jsonl") == "")
    }

    @Test func aDeviceIsNeitherRepairedNorSynced() throws {
        let log = try AuditLog(path: "/dev/null")
        #expect(log.repairedTail == nil)
        #expect(log.append(Self.record("a")))
        #expect(log.isWritable)
    }

    @Test func aFailedWriteMakesTheLogNotReady() throws {
        let log = try AuditLog(path: "/dev/full")
        #expect(log.isWritable)
        #expect(!log.append(Self.record("a")))
        #expect(!log.isWritable)
    }

    /// Records are numbered in write order; a commit makes every record up to a ticket durable, and one
    /// flush covers every record written before it (group commit).
    @Test func ticketsNumberRecordsAndACommitCoversEveryEarlierOne() throws {
        let directory = TemporaryDirectory()
        let log = try AuditLog(path: directory.url("audit.jsonl"), sync: .data)
        #expect(log.needsCommit)
        let tickets = (0..<3).compactMap { log.write(line: Array("{\"n\":\($0)}\n".utf8)) }
        #expect(tickets == [1, 2, 3])
        #expect(log.commit(upTo: 3))
        #expect(log.flushCount == 1)
        #expect(log.commit(upTo: 1))  // covered by the flush for 3
        #expect(log.flushCount == 1)
        #expect(log.write(line: Array("{}\n".utf8)) == 4)
        #expect(log.commit(upTo: 4))
        #expect((log.recordCount, log.flushCount) == (4, 2))
        #expect(try directory.read("audit.jsonl") == "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n{}\n")
    }

    /// With a commit to wait for, a record reaches the file with its commit: nothing before, every queued record
    /// after, whole lines in ticket order, one write for the batch. Without one, it is written at once.
    @Test func queuedRecordsReachTheFileWithTheirCommitInTicketOrder() throws {
        let directory = TemporaryDirectory()
        let log = try AuditLog(path: directory.url("audit.jsonl"), sync: .data)
        let threads = 4
        let perThread = 250
        let tickets = Locked<[UInt64: String]>([:])
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for index in 0..<perThread {
                let line = "{\"t\":\(thread),\"i\":\(index)}\n"
                guard let ticket = log.write(line: Array(line.utf8)) else { return }
                tickets.withLock { $0[ticket] = line }
            }
        }
        let count = threads * perThread
        #expect(tickets.withLock { $0.count } == count)
        #expect(try directory.read("audit.jsonl") == "", "written before its commit")
        #expect(log.commit(upTo: UInt64(count)))
        let expected = tickets.withLock { map in (1...UInt64(count)).map { map[$0]! }.joined() }
        #expect(try directory.read("audit.jsonl") == expected)
        #expect((log.recordCount, log.flushCount) == (UInt64(count), 1))

        let immediate = try AuditLog(path: directory.url("immediate.jsonl"), sync: .none)
        #expect(immediate.write(line: Array("{}\n".utf8)) == 1)
        #expect(try directory.read("immediate.jsonl") == "{}\n")
    }

    /// Nothing to flush without `data` or on a device: answers need not wait.
    @Test func onlyDataSyncOnARegularFileNeedsACommit() throws {
        let directory = TemporaryDirectory()
        #expect(!(try AuditLog(path: directory.url("audit.jsonl"), sync: .none)).needsCommit)
        #expect(!(try AuditLog(path: "/dev/null", sync: .data)).needsCommit)
        let full = try AuditLog(path: "/dev/full", sync: .data)
        #expect(full.write(line: Array("{}\n".utf8)) == nil)
        #expect(!full.isWritable)
    }

    /// With `--audit-sync data`, CreateSession and STS answers carry the commit of their audit record, so
    /// the event loop sends them only after the flush; the fallback is the endpoint's 503 with the same
    /// request id.
    @Test func answersWaitForTheirRecordsFlush() throws {
        let fixture = try ServiceFixture()
        let pki = fixture.configuration.pki
        let issued = fixture.service.handle(try RequestSigner.signedCreateSession(leaf: pki.webLeaf, key: pki.webKey))
        #expect(issued.status == 201)
        let commit = try #require(issued.commit)
        #expect(commit.ticket == 1)
        #expect(fixture.service.commit(upTo: commit.ticket))
        let fallback = commit.fallback()
        #expect(fallback.status == 503)
        #expect(fallback.headers["X-Amzn-ErrorType"] == "ServiceUnavailableException")
        #expect(fallback.headers["x-amzn-RequestId"] == issued.headers["x-amzn-RequestId"])
        #expect(!fallback.bodyText.contains("ASIA") && fallback.commit == nil)

        let sts = fixture.service.handle(
            HTTPRequest(method: "GET", target: "/?Action=GetCallerIdentity&Version=2011-06-15"))
        let stsCommit = try #require(sts.commit)
        #expect(stsCommit.ticket == 2)
        let stsFallback = stsCommit.fallback()
        #expect(stsFallback.status == 503)
        #expect(stsFallback.bodyText.contains("<Code>ServiceUnavailable</Code>"))
        #expect(stsFallback.headers["x-amzn-RequestId"] == sts.headers["x-amzn-RequestId"])

        // Health endpoints write no record and do not wait.
        #expect(fixture.service.handle(HTTPRequest(method: "GET", target: "/healthz")).commit == nil)
        #expect(try fixture.auditRecords().count == 2)
    }

    /// STS fails closed too: `ServiceUnavailable` (503, `Receiver`) in STS's XML, nothing about the cause.
    @Test func stsAnswers503WhenTheAuditLogCannotBeWritten() throws {
        let fixture = try ServiceFixture(auditLogPath: "/dev/full")
        let response = fixture.service.handle(
            HTTPRequest(method: "GET", target: "/?Action=GetCallerIdentity&Version=2011-06-15"))
        #expect(response.status == 503)
        #expect(response.bodyText.contains("<Code>ServiceUnavailable</Code>"))
        #expect(response.bodyText.contains("<Type>Receiver</Type>"))
        #expect(!response.bodyText.lowercased().contains("audit"))
        #expect(response.headers["x-amzn-RequestId"] != nil)
    }
}

@Suite struct KeyringReloadTests {
    static func keyringJSON(_ keys: [(String, [UInt8])]) -> String {
        let entries = keys.map { #"{"id":"\#($0.0)","secret":"\#(Base64.encode($0.1))"}"# }
        return #"{"keys":[\#(entries.joined(separator: ","))]}"# + "\n"
    }

    static func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
    }

    /// CreateSession and STS share one keyring: a key added seals at once, a key removed stops opening at once.
    @Test func aReloadedKeyringSealsWithTheNewKeyAndOpensOldTokensUntilTheKeyIsRemoved() throws {
        let directory = TemporaryDirectory()
        let path = directory.url("token-keyring.json")
        let old = [UInt8](repeating: 1, count: 32)
        let new = [UInt8](repeating: 2, count: 32)
        try Self.write(Self.keyringJSON([("k-old", old)]), to: path)
        let shared = SharedTokenKeyring(try KeyringFile.load(path))
        let createSession = CreateSessionService(sharedKeyring: shared)
        let sts = STSService(sharedKeyring: createSession.sharedKeyring)
        let reloader = KeyringReloader(path: path, shared: shared)
        let logger = Logger(minimumLevel: .error)
        let claims = SessionClaims(
            accessKeyId: "ASIAKEYRINGTEST00001", secretAccessKey: "secret", roleArn: "arn:aws:iam::1:role/r",
            roleSessionName: "s", sourceIdentity: "CN=s", principalTags: [], trustAnchorArn: "a", profileArn: "p",
            certificateSerialHex: "01", certificateSHA256: "00", issuedAt: 0, expiresAt: 900, sourceAddress: "x")
        let oldToken = SessionToken.seal(claims, keyring: createSession.keyring, random: SystemRandomSource())

        // Unchanged file: nothing to do.
        #expect(reloader.reload(trigger: "test", onlyIfChanged: true, logger: logger) == nil)

        try Self.write(Self.keyringJSON([("k-old", old), ("k-new", new)]), to: path)
        #expect(reloader.reload(trigger: "test", onlyIfChanged: false, logger: logger) == ["k-old", "k-new"])
        #expect(createSession.keyring.sealingKey.id == "k-new")
        let newToken = SessionToken.seal(claims, keyring: createSession.keyring, random: SystemRandomSource())
        #expect(Self.keyID(of: newToken) == "k-new")
        #expect((try? SessionToken.open(oldToken, keyring: sts.keyring)) != nil)

        // A broken file keeps the keyring in force.
        try Self.write("{", to: path)
        #expect(reloader.reload(trigger: "test", onlyIfChanged: false, logger: logger) == nil)
        #expect(sts.keyring.keys.map(\.id) == ["k-old", "k-new"])

        try Self.write(Self.keyringJSON([("k-new", new)]), to: path)
        #expect(reloader.reload(trigger: "test", onlyIfChanged: true, logger: logger) == ["k-new"])
        #expect(throws: SessionToken.OpenError.unknownKey) { try SessionToken.open(oldToken, keyring: sts.keyring) }
        #expect((try? SessionToken.open(newToken, keyring: sts.keyring)) != nil)
    }

    static func keyID(of token: String) -> String {
        let bytes = Base64.decode(token)!
        return String(decoding: bytes[2..<2 + Int(bytes[1])], as: UTF8.self)
    }

    @Test func secureFileLeavesNoTemporaryAndRemovesThoseOfDeadWriters() throws {
        let directory = TemporaryDirectory()
        // pid 2^22+1 is above the default pid_max.
        try directory.write(".revocations.json.tmp-4194305", "stale")
        try SecureFile.write(Array("{}\n".utf8), to: directory.url("revocations.json"), mode: 0o644)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["revocations.json"])
    }
}
