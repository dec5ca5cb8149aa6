import AnchorageCore
import AnchorageCrypto
import AnchorageHTTP
import AnchorageServer
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
