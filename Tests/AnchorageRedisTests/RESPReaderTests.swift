import Testing

@testable import AnchorageRedis

@Suite struct RESPReaderTests {
    /// Reads every reply of `bytes` fed in pieces of `step` bytes (0: all at once), then the end of the stream.
    static func read(_ bytes: [UInt8], step: Int = 0, limits: RESPLimits = .standard) -> ([RESPValue], RESPError?) {
        var reader = RESPReader(limits: limits)
        var values: [RESPValue] = []
        var index = 0
        do {
            while index < bytes.count {
                let end = step == 0 ? bytes.count : min(bytes.count, index + step)
                reader.append(bytes[index..<end])
                index = end
                while let value = try reader.next() { values.append(value) }
            }
            try reader.finish()
            return (values, nil)
        } catch {
            return (values, error)
        }
    }

    static let vectors: [(String, RESPValue)] = [
        ("+OK\r\n", .simpleString("OK")),
        ("+\r\n", .simpleString("")),
        ("-ERR unknown command 'FOO'\r\n", .error("ERR unknown command 'FOO'")),
        ("-NOSCRIPT No matching script. Please use EVAL.\r\n", .error("NOSCRIPT No matching script. Please use EVAL.")),
        (":0\r\n", .integer(0)),
        (":-1\r\n", .integer(-1)),
        (":9223372036854775807\r\n", .integer(Int64.max)),
        (":-9223372036854775807\r\n", .integer(-Int64.max)),
        ("$3\r\nfoo\r\n", .bulkString(Array("foo".utf8))),
        ("$0\r\n\r\n", .bulkString([])),
        ("$-1\r\n", .bulkString(nil)),
        ("$4\r\na\r\nb\r\n", .bulkString(Array("a\r\nb".utf8))),
        ("*0\r\n", .array([])),
        ("*-1\r\n", .array(nil)),
        (
            "*3\r\n$1\r\na\r\n:1\r\n*2\r\n+x\r\n$-1\r\n",
            .array([.bulkString([97]), .integer(1), .array([.simpleString("x"), .bulkString(nil)])])
        ),
    ]

    @Test("the RESP2 vectors read as their values, at once and byte by byte; the writer writes them back")
    func vectors() {
        for (text, expected) in Self.vectors {
            for step in [0, 1, 2, 3] {
                let (values, error) = Self.read(Array(text.utf8), step: step)
                #expect(error == nil, "\(text.debugDescription) step \(step)")
                #expect(values == [expected], "\(text.debugDescription) step \(step)")
            }
            #expect(RESPWriter.encode(reply: expected) == Array(text.utf8))
        }
    }

    @Test("pipelined replies come out in order")
    func pipelined() {
        let stream = Self.vectors.flatMap { Array($0.0.utf8) }
        let (values, error) = Self.read(stream, step: 7)
        #expect(error == nil)
        #expect(values == Self.vectors.map(\.1))
    }

    @Test("a stream cut inside any reply is truncated at the end, never a value or a crash")
    func truncation() {
        for (text, _) in Self.vectors {
            let bytes = Array(text.utf8)
            for cut in 1..<bytes.count {
                let (values, error) = Self.read(Array(bytes[0..<cut]))
                #expect(values.isEmpty, "\(text.debugDescription) cut at \(cut)")
                #expect(error?.code == .truncated, "\(text.debugDescription) cut at \(cut)")
            }
        }
    }

    @Test("wrong types and malformed framing are errors, and the failure is sticky")
    func malformed() {
        let cases: [(String, RESPError.Code)] = [
            ("?\r\n", .unknownType),
            ("_\r\n", .unknownType),  // RESP3 null: not spoken
            ("%1\r\n+a\r\n+b\r\n", .unknownType),  // RESP3 map
            ("#t\r\n", .unknownType),
            (":12a\r\n", .badNumber),
            (":\r\n", .badNumber),
            (":-\r\n", .badNumber),
            (":9223372036854775808\r\n", .badNumber),
            (":99999999999999999999\r\n", .badNumber),
            ("$-2\r\n", .badNumber),
            ("*-5\r\n", .badNumber),
            ("$+3\r\nabc\r\n", .badNumber),
            ("$3\r\nabcd\r\n", .badFraming),
            ("$3\r\nabc\n\r", .badFraming),
            ("+OK\rX\n", .badFraming),
            ("+OK\n", .badFraming),
        ]
        for (text, code) in cases {
            var reader = RESPReader()
            reader.append(Array(text.utf8))
            #expect(throws: RESPError(code, "")) { try reader.next() }
            reader.append(Array("+OK\r\n".utf8))
            #expect(throws: RESPError(code, ""), "sticky after \(text.debugDescription)") { try reader.next() }
        }
    }

    @Test("limits: a long bulk string, a big array, deep nesting and a long line are refused from their header")
    func limits() {
        let limits = RESPLimits(maxBulkBytes: 8, maxLineBytes: 16, maxArrayCount: 4, maxDepth: 3, maxReplyBytes: 48)
        func code(_ text: String) -> RESPError.Code? {
            var reader = RESPReader(limits: limits)
            reader.append(Array(text.utf8))
            do {
                _ = try reader.next()
                return nil
            } catch {
                return error.code
            }
        }
        // Refused before any of the body arrived.
        #expect(code("$9\r\n") == .tooLong)
        #expect(code("$1000000000000\r\n") == .tooLong)
        #expect(code("$8\r\n12345678\r\n") == nil)
        #expect(code("*5\r\n") == .tooLong)
        #expect(code("*4\r\n") == nil)
        #expect(code("*1\r\n*1\r\n*1\r\n:1\r\n") == nil)
        #expect(code("*1\r\n*1\r\n*1\r\n*1\r\n") == .tooDeep)
        #expect(code("+" + String(repeating: "a", count: 16) + "\r\n") == nil)
        #expect(code("+" + String(repeating: "a", count: 17) + "\r\n") == .tooLong)
        #expect(code("+" + String(repeating: "a", count: 40)) == .tooLong)
        // Within every per-value limit but over the reply bound while incomplete.
        #expect(code("*4\r\n$8\r\n12345678\r\n$8\r\n12345678\r\n$8\r\n12345678\r\n$8\r\n1234") == .replyTooLarge)
    }

    @Test("a deeply nested hostile reply is refused without recursion past the depth limit")
    func hostileNesting() {
        var reader = RESPReader()
        reader.append(Array(String(repeating: "*1\r\n", count: 100_000).utf8))
        #expect(throws: RESPError(.tooDeep, "")) { try reader.next() }
    }

    @Test("a large reply arriving in small pieces is examined once, not again from its start at every piece")
    func linearInPieces() throws {
        let count = 20_000
        let reply = RESPValue.array((0..<count).map { _ in .bulkString([UInt8(ascii: "x")]) })
        let bytes = RESPWriter.encode(reply: reply)
        var reader = RESPReader()
        var values: [RESPValue] = []
        var index = 0
        while index < bytes.count {
            let end = min(bytes.count, index + 1024)
            reader.append(bytes[index..<end])
            index = end
            while let value = try reader.next() { values.append(value) }
        }
        #expect(values == [reply])
        // Each element is looked at a bounded number of times (the piece that completes it, and the final read),
        // however many pieces there were: ~140 pieces here, which re-read from the start would be ~1.4 M.
        #expect(reader.elementsExamined <= 3 * (count + 1) + bytes.count / 1024 + 1)
    }

    @Test("commands are arrays of bulk strings")
    func writer() {
        #expect(
            RESPWriter.encode(RedisCommand("SET", "k", "v\r\n"))
                == Array("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nv\r\n\r\n".utf8))
        #expect(RESPWriter.encode(RedisCommand("PING")) == Array("*1\r\n$4\r\nPING\r\n".utf8))
        #expect(RedisCommand("AUTH", "user", "secret").name == "AUTH")
    }
}

@Suite struct RedisEndpointTests {
    @Test("redis://HOST:PORT[/DB] with an optional ACL user; IPv6 in brackets")
    func parses() throws {
        #expect(try RedisEndpoint(url: "redis://127.0.0.1:6379") == RedisEndpoint(host: "127.0.0.1", port: 6379))
        #expect(
            try RedisEndpoint(url: "redis://cache.internal:6380/3")
                == RedisEndpoint(host: "cache.internal", port: 6380, database: 3))
        #expect(
            try RedisEndpoint(url: "redis://anchorage@[::1]:6379/")
                == RedisEndpoint(host: "::1", port: 6379, username: "anchorage"))
        #expect(try RedisEndpoint(url: "redis://u@[::1]:6379/2").description == "redis://u@[::1]:6379/2")
        #expect(
            try RedisEndpoint(url: "rediss://cache.internal:6380/1")
                == RedisEndpoint(host: "cache.internal", port: 6380, database: 1, tls: true))
    }

    @Test("a password in the URL, a missing port, a bad database or another scheme are refused")
    func refuses() {
        for url in [
            "redis://user:secret@host:6379", "redis://host", "redis://host:0", "redis://host:70000",
            "redis://host:6379/x", "redis://host:6379/-1", "http://host:6379", "redis://:6379", "redis://@host:1",
        ] {
            #expect(throws: RedisError.self, "\(url)") { try RedisEndpoint(url: url) }
        }
        do {
            _ = try RedisEndpoint(url: "redis://user:hunter2@host:6379")
        } catch {
            #expect(!error.description.contains("hunter2"))
        }
    }
}
