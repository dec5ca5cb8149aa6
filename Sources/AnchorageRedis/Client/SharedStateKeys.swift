import AnchorageBasics
import AnchorageLocking
import Dispatch
import Foundation

/// The Redis key names that `anchorage serve --shared-state` and `anchorage revoke --shared-state` agree on.
///
/// One logical database holds one deployment's state (select it with `redis://HOST:PORT/DB`).
public enum SharedStateKeys {
    /// Hash: revocation id → the entry's JSON, as in `PKI/revocations.json`.
    public static let revocations = "anchorage:revocations"
    /// Counter: incremented by every change of ``revocations``; replicas poll it.
    public static let revocationsVersion = "anchorage:revocations:version"
    /// Pub/sub channel announcing a change of ``revocations`` (the id), for operators' tools.
    public static let revocationsChannel = "anchorage:revocations"
    /// Prefixes of the admission script's keys, followed by 32 hex digits.
    public static let sourceBucketPrefix = "anchorage:src:"
    public static let certificateBucketPrefix = "anchorage:crt:"
    public static let replayPrefix = "anchorage:rpl:"
}

extension RedisClient.Options {
    /// The options of `--shared-state URL` with `--shared-state-password-file FILE` (the file's first line is
    /// the password; a trailing newline is not part of it) and, for `rediss://`, `--shared-state-ca-file FILE`
    /// (the CAs trusted for Redis's certificate; default: the system's). Errors name the file, never its content.
    public static func commandLine(url: String, passwordFile: String?, caFile: String? = nil) throws(RedisError)
        -> RedisClient.Options
    {
        let endpoint = try RedisEndpoint(url: url)
        if let caFile {
            guard endpoint.tls else { throw RedisError(.invalidEndpoint, "a CA file needs a rediss:// URL") }
            guard FileManager.default.isReadableFile(atPath: caFile) else {
                throw RedisError(.invalidEndpoint, "cannot read the CA file \(caFile)")
            }
        }
        var password: String?
        if let passwordFile {
            guard let data = FileManager.default.contents(atPath: passwordFile) else {
                throw RedisError(.invalidEndpoint, "cannot read the password file \(passwordFile)")
            }
            var text = String(decoding: data, as: UTF8.self)
            if let newline = text.firstIndex(where: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
                text = String(text[..<newline])
            }
            guard !text.isEmpty else {
                throw RedisError(.invalidEndpoint, "the password file \(passwordFile) is empty")
            }
            password = text
        } else if endpoint.username != nil {
            throw RedisError(.invalidEndpoint, "a username in the URL needs --shared-state-password-file")
        }
        return RedisClient.Options(
            endpoint: endpoint, password: password, tls: endpoint.tls ? RedisTLSConfiguration(caFile: caFile) : nil)
    }
}

extension RedisClient {
    /// Sends `commands` and waits for their replies, for command-line tools (never on an event loop).
    public func sendAndWait(_ commands: [RedisCommand]) -> Result<[RESPValue], RedisError> {
        let semaphore = DispatchSemaphore(value: 0)
        let result = Locked<Result<[RESPValue], RedisError>?>(nil)
        send(commands) { reply in
            result.withLock { $0 = reply }
            semaphore.signal()
        }
        semaphore.wait()
        return result.withLock { $0! }
    }

    /// Waits up to `seconds` for the first connection (for command-line tools).
    public func waitUntilReady(seconds: Double) -> Bool {
        let deadline = MonotonicTime.seconds + seconds
        while !isReady {
            if MonotonicTime.seconds >= deadline { return false }
            usleep(10_000)
        }
        return true
    }
}
