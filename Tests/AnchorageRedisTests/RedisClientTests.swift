import AnchorageLocking
import AnchorageRedis
import AnchorageTestSupport
import Foundation
import Testing

/// A one-connection TCP server on 127.0.0.1 that answers each read with the next scripted bytes, and closes
/// after the last (or never answers, with `silent`). It accepts one connection, then stops listening (a reconnection
/// is refused).
///
/// Its thread owns the listening descriptor and closes it; `deinit` only shuts it down (which ends a waiting `accept`),
/// under the same lock. Closing it in `deinit` raced with a thread that had not called `accept` yet: once the number
/// was reused by the next test's listener, the stale thread accepted that test's connection and answered it with its
/// own script (the next test's fake never saw its client).
final class FakeRedis: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    /// Whether the thread closed `listener` (its number may belong to another descriptor since).
    private let closed: Locked<Bool>
    let received = Locked<[UInt8]>([])

    init(replies: [[UInt8]], closeAfter: Bool = true) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(listener, pointer, length) == 0 && getsockname(listener, pointer, &length) == 0
            }
        }
        guard listening, listen(listener, 4) == 0 else {
            close(listener)
            throw TestFailure("cannot listen")
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        self.listener = listener
        let closed = Locked(false)
        self.closed = closed
        let received = received
        Thread {
            let connection = accept(listener, nil, nil)
            closed.withLock { closed in
                Glibc.close(listener)
                closed = true
            }
            guard connection >= 0 else { return }
            var buffer = [UInt8](repeating: 0, count: 4096)
            for reply in replies {
                let count = read(connection, &buffer, buffer.count)
                guard count > 0 else { break }
                received.withLock { $0 += buffer[0..<count] }
                _ = reply.withUnsafeBytes { send(connection, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
            }
            if closeAfter {
                close(connection)
            } else {
                // Silent: keep the connection open, reading and answering nothing.
                while read(connection, &buffer, buffer.count) > 0 {}
                close(connection)
            }
        }.start()
    }

    deinit {
        let listener = listener
        closed.withLock { closed in
            if !closed { _ = shutdown(listener, Int32(SHUT_RDWR)) }
        }
    }
}

/// Waits for one completion of `client.send`.
func sendAndWait(_ client: RedisClient, _ commands: [RedisCommand]) -> Result<[RESPValue], RedisError> {
    client.sendAndWait(commands)
}

@Suite(.serialized) struct RedisClientTests {
    /// Deadlines, not waits: generous by default, since a loaded machine may leave the fake's thread unscheduled for a
    /// while.
    static func client(port: Int, timeout: Double = 10) throws -> RedisClient {
        var options = RedisClient.Options(endpoint: RedisEndpoint(host: "127.0.0.1", port: port))
        options.commandTimeout = timeout
        options.connectTimeout = 10
        return try RedisClient(options)
    }

    @Test("a server that closes in the middle of a reply: a protocol error, never a value")
    func closesMidReply() throws {
        let fake = try FakeRedis(replies: [Array("$10\r\nabc".utf8)])
        let client = try Self.client(port: fake.port)
        defer { client.stop() }
        let result = sendAndWait(client, [RedisCommand("GET", "k")])
        guard case .failure(let error) = result else {
            Issue.record("got \(result)")
            return
        }
        #expect(error.code == .protocolError)
        #expect(fake.received.withLock { $0 } == RESPWriter.encode(RedisCommand("GET", "k")))
    }

    @Test("a server that closes before replying: unavailable")
    func closesBeforeReply() throws {
        let fake = try FakeRedis(replies: [[]])
        let client = try Self.client(port: fake.port)
        defer { client.stop() }
        guard case .failure(let error) = sendAndWait(client, [RedisCommand("PING")]) else {
            Issue.record("a reply from a closed connection")
            return
        }
        #expect(error.code == .unavailable)
    }

    @Test("a reply of a type RESP2 does not have: a protocol error, and the connection is dropped")
    func wrongType() throws {
        let fake = try FakeRedis(replies: [Array("%1\r\n+a\r\n+b\r\n".utf8)])
        let client = try Self.client(port: fake.port)
        defer { client.stop() }
        guard case .failure(let error) = sendAndWait(client, [RedisCommand("HGETALL", "h")]) else {
            Issue.record("a RESP3 map was accepted")
            return
        }
        #expect(error.code == .protocolError)
    }

    @Test("a server that never answers: the command times out at its deadline")
    func silent() throws {
        let fake = try FakeRedis(replies: [[]], closeAfter: false)
        let client = try Self.client(port: fake.port, timeout: 0.2)
        defer { client.stop() }
        guard case .failure(let error) = sendAndWait(client, [RedisCommand("PING")]) else {
            Issue.record("a reply from a silent server")
            return
        }
        #expect(error.code == .timeout)
    }

    @Test(
        "LOADING: the batch fails as unavailable and the client is not ready until Redis answers something else, on the same connection"
    )
    func loading() throws {
        let fake = try FakeRedis(
            replies: [Array("-LOADING Redis is loading the dataset in memory\r\n".utf8), Array("$1\r\n1\r\n".utf8)],
            closeAfter: false)
        var options = RedisClient.Options(endpoint: RedisEndpoint(host: "127.0.0.1", port: fake.port))
        // Deadlines, not waits: generous, since a loaded machine may leave the fake's thread unscheduled for a while.
        options.commandTimeout = 10
        options.connectTimeout = 10
        let events = Locked<[String]>([])
        let client = try RedisClient(options) { event in
            switch event {
            case .connected: events.withLock { $0.append("connected") }
            case .disconnected(let error): events.withLock { $0.append("disconnected \(error.code)") }
            }
        }
        defer { client.stop() }
        let get = RedisCommand("GET", "kept")
        guard case .failure(let error) = client.sendAndWait([get]) else {
            Issue.record("a LOADING error reply was handed over as a value")
            return
        }
        #expect(error.code == .unavailable)
        #expect(error.detail.contains("loading"), "\(error)")
        #expect(!client.isReady)
        // Loaded: the same command succeeds on the same connection (the fake accepts one connection only).
        guard case .success(let values) = client.sendAndWait([get]) else {
            Issue.record("no reply once Redis answered again")
            return
        }
        #expect(values == [.bulkString(Array("1".utf8))])
        #expect(client.isReady)
        #expect(events.withLock { $0 } == ["connected", "disconnected unavailable", "connected"])
        #expect(fake.received.withLock { $0 } == RESPWriter.encode(get) + RESPWriter.encode(get))
    }

    @Test("LOADING in answer to a handshake command (SCRIPT LOAD): the connection attempt fails, unavailable")
    func loadingHandshake() throws {
        let fake = try FakeRedis(
            replies: [Array("-LOADING Redis is loading the dataset in memory\r\n".utf8)], closeAfter: false)
        var options = RedisClient.Options(endpoint: RedisEndpoint(host: "127.0.0.1", port: fake.port))
        options.setup = [RedisCommand("SCRIPT", "LOAD", "return 1")]
        // Deadlines, not waits: generous, since a loaded machine may leave the fake's thread unscheduled for a while.
        options.commandTimeout = 10
        options.connectTimeout = 10
        let client = try RedisClient(options)
        defer { client.stop() }
        guard case .failure(let error) = client.sendAndWait([RedisCommand("PING")]) else {
            Issue.record("a reply while the handshake was refused")
            return
        }
        #expect(error.code == .unavailable)
        #expect(error.detail.contains("LOADING"), "\(error)")
        #expect(!client.isReady)
    }

    @Test("nothing listening: unavailable, and once the attempt failed, later commands fail at once")
    func refused() throws {
        let port = try RedisServer.freePort()
        let client = try Self.client(port: port)
        defer { client.stop() }
        guard case .failure(let first) = sendAndWait(client, [RedisCommand("PING")]) else {
            Issue.record("a reply with nothing listening")
            return
        }
        #expect(first.code == .unavailable)
        #expect(!client.isReady)
        let second = Locked<RedisError?>(nil)
        client.send([RedisCommand("PING")]) { result in
            if case .failure(let error) = result { second.withLock { $0 = error } }
        }
        // Refused on the caller's thread, before send returned.
        #expect(second.withLock { $0 }?.code == .unavailable)
    }
}

@Suite(.serialized) struct RedisClientRealServerTests {
    @Test("pipelined batches against redis-server get their replies in order")
    func pipelining() throws {
        let redis = try RedisServer()
        let client = try RedisClientTests.client(port: redis.port)
        defer { client.stop() }
        let replies = Locked<[Int: [RESPValue]]>([:])
        let group = DispatchGroup()
        for index in 0..<200 {
            group.enter()
            client.send([
                RedisCommand("INCR", "counter"), RedisCommand("SET", "k\(index)", "\(index)"),
                RedisCommand("GET", "k\(index)"),
            ]) {
                result in
                if case .success(let values) = result { replies.withLock { $0[index] = values } }
                group.leave()
            }
        }
        group.wait()
        let all = replies.withLock { $0 }
        #expect(all.count == 200)
        let counters = all.values.compactMap { values -> Int64? in
            if case .integer(let n) = values[0] { return n }
            return nil
        }
        #expect(Set(counters) == Set(1...200))
        for (index, values) in all {
            #expect(values[1] == .simpleString("OK"))
            #expect(values[2] == .bulkString(Array("\(index)".utf8)))
        }
    }

    @Test("AUTH with the password; a wrong password never connects and is not in the error")
    func authentication() throws {
        let redis = try RedisServer(password: "s3cret-pass")
        var options = RedisClient.Options(
            endpoint: RedisEndpoint(host: "127.0.0.1", port: redis.port), password: "s3cret-pass")
        let good = try RedisClient(options)
        defer { good.stop() }
        guard case .success(let values) = good.sendAndWait([RedisCommand("PING")]) else {
            Issue.record("no PONG with the right password")
            return
        }
        #expect(values == [.simpleString("PONG")])
        options.password = "wrong-pass"
        let bad = try RedisClient(options)
        defer { bad.stop() }
        guard case .failure(let error) = bad.sendAndWait([RedisCommand("PING")]) else {
            Issue.record("a reply with the wrong password")
            return
        }
        #expect(error.code == .unavailable)
        #expect(!error.description.contains("wrong-pass"))
    }

    @Test("Redis restarts: commands fail while it is down and succeed again without a new client")
    func reconnects() async throws {
        let redis = try RedisServer()
        let client = try RedisClientTests.client(port: redis.port, timeout: 0.5)
        defer { client.stop() }
        guard case .success = client.sendAndWait([RedisCommand("SET", "kept", "1")]) else {
            Issue.record("SET failed")
            return
        }
        redis.stop()
        guard case .failure = client.sendAndWait([RedisCommand("GET", "kept")]) else {
            Issue.record("a reply while Redis is stopped")
            return
        }
        try redis.start()
        let value = try await poll(for: 10) { () -> [RESPValue]? in
            if case .success(let values) = client.sendAndWait([RedisCommand("GET", "kept")]) { return values }
            return nil
        }
        // The append-only file kept the key across the restart.
        #expect(value == [.bulkString(Array("1".utf8))])
        #expect(client.isReady)
    }

    @Test("the bounded queue: more outstanding commands than allowed fail at once with queue_full")
    func boundedQueue() throws {
        let fake = try FakeRedis(replies: [[]], closeAfter: false)
        var options = RedisClient.Options(endpoint: RedisEndpoint(host: "127.0.0.1", port: fake.port))
        options.maximumQueued = 4
        options.commandTimeout = 5
        let client = try RedisClient(options)
        defer { client.stop() }
        let failures = Locked<[RedisError.Code]>([])
        for _ in 0..<6 {
            client.send([RedisCommand("PING")]) { result in
                if case .failure(let error) = result { failures.withLock { $0.append(error.code) } }
            }
        }
        // The two beyond the bound were refused on this thread, before send returned.
        #expect(failures.withLock { $0 } == [.queueFull, .queueFull])
        client.stop()
    }
}

@Suite(.serialized) struct RedisClientTLSTests {
    static func server() throws -> (RedisServer, FixturePKI) {
        let pki = try FixturePKI.shared()
        let redis = try RedisServer(
            tls: RedisServer.TLSFiles(
                certificate: pki.certificate("server").path, key: pki.privateKey("server").path,
                ca: pki.caBundle.path))
        return (redis, pki)
    }

    @Test("rediss:// with the right CA: the certificate and its name verify, commands flow")
    func verified() throws {
        let (redis, pki) = try Self.server()
        let options = try RedisClient.Options.commandLine(url: redis.url, passwordFile: nil, caFile: pki.caBundle.path)
        #expect(options.tls == RedisTLSConfiguration(caFile: pki.caBundle.path))
        let client = try RedisClient(options)
        defer { client.stop() }
        let replies = client.sendAndWait([
            RedisCommand("SET", "k", String(repeating: "v", count: 100_000)), RedisCommand("STRLEN", "k"),
        ])
        guard case .success(let values) = replies else {
            Issue.record("\(replies)")
            return
        }
        #expect(values == [.simpleString("OK"), .integer(100_000)])
    }

    @Test("rediss:// refuses a certificate from an untrusted CA and a certificate for another name")
    func refused() throws {
        let (redis, pki) = try Self.server()
        for tls in [
            RedisTLSConfiguration(caFile: pki.certificate("other-root").path),
            RedisTLSConfiguration(caFile: pki.caBundle.path, serverName: "redis.example"),
        ] {
            let client = try RedisClient(
                RedisClient.Options(endpoint: RedisEndpoint(host: "127.0.0.1", port: redis.port), tls: tls))
            defer { client.stop() }
            guard case .failure(let error) = client.sendAndWait([RedisCommand("PING")]) else {
                Issue.record("a reply over an unverified TLS session (\(tls))")
                continue
            }
            #expect(error.code == .unavailable)
            #expect(error.detail.contains("certificate verify failed") || error.detail.contains("TLS"), "\(error)")
            // Once the client knows Redis is down it refuses at once: still saying why (the audit detail of a 503).
            guard case .failure(let again) = client.sendAndWait([RedisCommand("PING")]) else {
                Issue.record("a reply over an unverified TLS session (\(tls))")
                continue
            }
            #expect(again.code == .unavailable)
            #expect(again.detail.contains("certificate verify failed") || again.detail.contains("TLS"), "\(again)")
        }
    }

    @Test("a plain connection to a TLS port, and TLS to a plain port, fail cleanly")
    func mismatched() throws {
        let (tlsRedis, pki) = try Self.server()
        let plain = try RedisClientTests.client(port: tlsRedis.port, timeout: 0.5)
        defer { plain.stop() }
        guard case .failure = plain.sendAndWait([RedisCommand("PING")]) else {
            Issue.record("a plain reply from a TLS port")
            return
        }
        let plainRedis = try RedisServer()
        let tls = try RedisClient(
            RedisClient.Options(
                endpoint: RedisEndpoint(host: "127.0.0.1", port: plainRedis.port),
                tls: RedisTLSConfiguration(caFile: pki.caBundle.path)))
        defer { tls.stop() }
        guard case .failure(let error) = tls.sendAndWait([RedisCommand("PING")]) else {
            Issue.record("a TLS reply from a plain port")
            return
        }
        // Redis may answer the ClientHello with an error (the handshake fails) or wait for more (the deadline).
        #expect(error.code == .unavailable || error.code == .timeout, "\(error)")
    }
}
