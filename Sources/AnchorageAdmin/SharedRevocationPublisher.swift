import AnchorageCore
import AnchorageRedis
import Foundation

/// `anchorage revoke --shared-state`: writes a revocation into the Redis hash that every replica polls
/// (`serve --shared-state`), bumps its version and announces it, in one `MULTI`/`EXEC` transaction.
struct SharedRevocationPublisher {
    let options: RedisClient.Options

    init(url: String, passwordFile: String?, caFile: String?) throws(RedisError) {
        var options = try RedisClient.Options.commandLine(url: url, passwordFile: passwordFile, caFile: caFile)
        options.commandTimeout = 5
        options.connectTimeout = 5
        self.options = options
    }

    func publish(_ revocation: Revocation) -> Int32 {
        run(
            RedisCommand("HSET", SharedStateKeys.revocations, revocation.id, JSONWriter.string(revocation.json)),
            done: "published \(revocation.id) to \(options.endpoint)")
    }

    func publish(removing id: String) -> Int32 {
        run(RedisCommand("HDEL", SharedStateKeys.revocations, id), done: "unpublished \(id) from \(options.endpoint)")
    }

    private func run(_ change: RedisCommand, done: String) -> Int32 {
        let client: RedisClient
        do {
            client = try RedisClient(options)
        } catch {
            return fail("\(error)")
        }
        defer { client.stop() }
        guard client.waitUntilReady(seconds: options.connectTimeout) else {
            return fail("cannot reach \(options.endpoint)")
        }
        let result = client.sendAndWait([
            RedisCommand("MULTI"), change, RedisCommand("INCR", SharedStateKeys.revocationsVersion),
            RedisCommand(
                "PUBLISH", SharedStateKeys.revocationsChannel,
                change.arguments.count > 2
                    ? String(decoding: change.arguments[2], as: UTF8.self) : ""),
            RedisCommand("EXEC"),
        ])
        switch result {
        case .success(let replies):
            guard case .array(let results?)? = replies.last, results.allSatisfy({ $0.errorCode == nil }) else {
                return fail("Redis refused the change: \(replies.compactMap(\.errorCode).joined(separator: ", "))")
            }
            print(done)
            return 0
        case .failure(let error):
            return fail("\(error)")
        }
    }

    private func fail(_ message: String) -> Int32 {
        FileHandle.standardError.write(
            Data(
                ("anchorage revoke: the file is written, but publishing to the shared state failed: \(message); "
                    + "run the same command again to publish it\n").utf8))
        return 1
    }
}
