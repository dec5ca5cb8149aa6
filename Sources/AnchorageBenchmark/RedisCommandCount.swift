import AnchorageRedis

/// Commands a Redis server has executed (`INFO commandstats`), for the commands per CreateSession.
struct RedisCommandCount {
    /// Every command (the `INFO` that reads them included).
    var total: Int
    var evalsha: Int

    static func read(port: Int) throws -> RedisCommandCount {
        let client = try RedisClient(RedisClient.Options(endpoint: RedisEndpoint(host: "127.0.0.1", port: port)))
        defer { client.stop() }
        guard case .success(let replies) = client.sendAndWait([RedisCommand("INFO", "commandstats")]),
            let text = replies.first?.text
        else { throw BenchmarkError("INFO commandstats failed") }
        var count = RedisCommandCount(total: 0, evalsha: 0)
        // Lines like `cmdstat_evalsha:calls=20000,usec=…`.
        // (`\r\n` is one Character: split on newlines, not on "\r" or "\n".)
        for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix("cmdstat_") {
            guard let colon = line.firstIndex(of: ":"), let calls = line[colon...].split(separator: ",").first,
                let number = Int(calls.dropFirst(":calls=".count))
            else { continue }
            count.total += number
            if line.hasPrefix("cmdstat_evalsha:") { count.evalsha += number }
        }
        return count
    }
}
