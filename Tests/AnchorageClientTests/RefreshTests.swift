import AnchorageCore
import AnchorageLocking
import Foundation
import Testing

@testable import AnchorageClient

final class SteppingClock: WallClock, Sendable {
    private let now: Locked<Int64>
    init(seconds: Int64) { now = Locked(seconds * 1000) }
    var milliseconds: Int64 { now.withLock { $0 } }
    func advance(_ seconds: Int64) { now.withLock { $0 += seconds * 1000 } }
}

struct Unavailable: Error {}

final class Counter<T: Sendable>: Sendable {
    let value: Locked<T>
    init(_ initial: T) { value = Locked(initial) }
    func withLock<R>(_ body: (inout T) -> R) -> R { value.withLock { body(&$0) } }
}

@Suite("Retries, the serve cache and the credentials file")
struct RefreshTests {
    static func credentials(expiring seconds: Int64, key: String = "ASIAEXAMPLEKEY0001") throws -> SessionCredentials {
        try SessionCredentials(
            accessKeyId: key, secretAccessKey: "secret/example+key=", sessionToken: "dG9rZW4=",
            expiration: UTCTimestamp.iso8601(seconds))
    }

    static func policy(_ sleeps: Counter<[Double]>) -> RetryPolicy {
        RetryPolicy(maxAttempts: 3, maxBackoff: 20, sleep: { s in sleeps.withLock { $0.append(s) } }, random: { 0.5 })
    }

    @Test("5xx, throttling and connection errors are retried up to 3 attempts with jittered backoff")
    func retriesRetryable() throws {
        let retryable: [any Error] = [
            ServiceError(status: 503, type: "ServiceUnavailable", message: "", requestId: nil),
            ServiceError(status: 400, type: "ThrottlingException", message: "", requestId: nil),
            ServiceError(status: 429, type: "TooManyRequestsException", message: "", requestId: nil),
            TransportError(message: "connect: refused"),
        ]
        for error in retryable {
            let sleeps = Counter<[Double]>([])
            let attempts = Counter(0)
            #expect(throws: (any Error).self) {
                try Self.policy(sleeps).run(log: { _ in }) { () throws -> Int in
                    attempts.withLock { $0 += 1 }
                    throw error
                }
            }
            #expect(attempts.withLock { $0 } == 3, "\(error)")
            #expect(sleeps.withLock { $0 } == [0.5, 1.0])
        }
    }

    @Test("other 4xx are never retried; a later success ends the retries")
    func noRetryOn4xx() throws {
        let attempts = Counter(0)
        let sleeps = Counter<[Double]>([])
        #expect(throws: ServiceError.self) {
            try Self.policy(sleeps).run(log: { _ in }) { () throws -> Int in
                attempts.withLock { $0 += 1 }
                throw ServiceError(status: 403, type: "AccessDeniedException", message: "Access denied", requestId: nil)
            }
        }
        #expect(attempts.withLock { $0 } == 1)
        let value = try Self.policy(sleeps).run(log: { _ in }) { () throws -> Int in
            let n = attempts.withLock {
                $0 += 1; return $0
            }
            if n < 3 { throw TransportError(message: "reset") }
            return 42
        }
        #expect(value == 42)
        #expect(RetryPolicy.standard.backoff(retry: 10) <= 20)
    }

    @Test("a failed refresh keeps the last good credentials until they expire, then nothing is served")
    func cacheKeepsGoodCredentials() throws {
        let clock = SteppingClock(seconds: 1_800_000_000)
        let cache = CredentialCache(clock: clock, refreshBefore: 300)
        #expect(cache.current() == nil && cache.needsRefresh)
        #expect(!cache.refreshIfNeeded { throw Unavailable() })
        #expect(cache.current() == nil, "no credentials before the first success")
        #expect(cache.refreshIfNeeded { try Self.credentials(expiring: 1_800_000_000 + 900) })
        #expect(cache.current()?.credentials.accessKeyId == "ASIAEXAMPLEKEY0001" && !cache.needsRefresh)
        clock.advance(700)
        #expect(cache.needsRefresh)
        #expect(!cache.refreshIfNeeded { throw Unavailable() })
        #expect(cache.current()?.credentials.accessKeyId == "ASIAEXAMPLEKEY0001", "still valid: kept")
        #expect(cache.lastError != nil)
        clock.advance(200)
        #expect(cache.current() == nil, "expired credentials are never served")
        #expect(
            cache.refreshIfNeeded { try Self.credentials(expiring: 1_800_000_000 + 2000, key: "ASIAEXAMPLEKEY0002") })
        #expect(cache.current()?.credentials.accessKeyId == "ASIAEXAMPLEKEY0002" && cache.lastError == nil)
    }

    @Test("the credentials file keeps every other section, key and comment")
    func credentialsFileUpdate() throws {
        let original = """
            # my credentials
            [default]
            aws_access_key_id = OLD
            region = eu-west-1
            aws_session_token = OLDTOKEN

            [other]
            aws_access_key_id = AKIAOTHER
            aws_secret_access_key = othersecret
            """
        let c = try Self.credentials(expiring: 1_800_000_000)
        let updated = CredentialsFile.updated(original, profile: "default", credentials: c)
        #expect(
            updated == """
                # my credentials
                [default]
                aws_access_key_id = ASIAEXAMPLEKEY0001
                region = eu-west-1
                aws_session_token = dG9rZW4=
                aws_secret_access_key = secret/example+key=

                [other]
                aws_access_key_id = AKIAOTHER
                aws_secret_access_key = othersecret

                """)
        let appended = CredentialsFile.updated(original, profile: "new", credentials: c)
        #expect(appended.hasPrefix(original + "\n\n[new]\naws_access_key_id = ASIAEXAMPLEKEY0001\n"))
        #expect(
            CredentialsFile.updated("", profile: "p", credentials: c)
                == "[p]\naws_access_key_id = ASIAEXAMPLEKEY0001\naws_secret_access_key = secret/example+key=\naws_session_token = dG9rZW4=\n"
        )
    }

    @Test("the credentials file is written 0600 through a rename")
    func credentialsFileWrite() throws {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
            "helper-cred-\(UUID().uuidString)/.aws")
        let path = dir.appendingPathComponent("credentials").path
        try CredentialsFile.write(path: path, profile: "a", credentials: try Self.credentials(expiring: 1_800_000_000))
        try CredentialsFile.write(path: path, profile: "b", credentials: try Self.credentials(expiring: 1_800_000_000))
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("[a]") && text.contains("[b]"))
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == [
                "credentials", "credentials.lock",
            ])
    }
}
