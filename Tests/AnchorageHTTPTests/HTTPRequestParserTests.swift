import Testing

@testable import AnchorageHTTP

/// Feeds `wire` in pieces of `step` bytes and collects every event until the parser wants more at the end.
private func parse(
    _ wire: String, step: Int = .max, maxHeaderBytes: Int = 32 * 1024, maxHeaderCount: Int = 100,
    maxBodyBytes: Int = 1 << 20
) -> (requests: [HTTPRequest], failure: (status: Int, reason: String)?) {
    var parser = HTTPRequestParser(
        limits: .init(maxHeaderBytes: maxHeaderBytes, maxHeaderCount: maxHeaderCount, maxBodyBytes: maxBodyBytes),
        remoteAddress: "192.0.2.1")
    let bytes = Array(wire.utf8)
    var requests: [HTTPRequest] = []
    var offset = 0
    while offset < bytes.count {
        let end = min(bytes.count, offset + min(step, bytes.count))
        parser.append(bytes[offset..<end])
        offset = end
        events: while true {
            switch parser.next() {
            case .request(let request): requests.append(request)
            case .needMore: break events
            case .failure(let status, let reason): return (requests, (status, reason))
            }
        }
    }
    return (requests, nil)
}

private func status(
    _ wire: String, maxHeaderBytes: Int = 32 * 1024, maxHeaderCount: Int = 100, maxBodyBytes: Int = 1 << 20
) -> Int? {
    parse(wire, maxHeaderBytes: maxHeaderBytes, maxHeaderCount: maxHeaderCount, maxBodyBytes: maxBodyBytes).failure?
        .status
}

@Suite struct HTTPRequestParserTests {
    @Test func publicParseTakesExactlyOneWholeRequest() throws {
        let wire = "POST /sessions?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nok"
        let request = try HTTPRequest.parse(Array(wire.utf8), remoteAddress: "192.0.2.9")
        #expect(request.method == "POST" && request.path == "/sessions" && request.query == "x=1")
        #expect(request.headers["host"] == "h" && request.body == Array("ok".utf8))
        #expect(request.remoteAddress == "192.0.2.9")

        func failure(_ text: String) -> HTTPRequest.ParseFailure? {
            do {
                _ = try HTTPRequest.parse(Array(text.utf8), remoteAddress: "192.0.2.9")
                return nil
            } catch { return error }
        }
        #expect(failure(wire + "G")?.reason == "bytes after the request")
        #expect(failure(String(wire.dropLast()))?.reason == "incomplete request")
        // The server's own verdict, not a second parser's: a 501 for an unsupported transfer coding.
        let unsupported = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n"
        #expect(failure(unsupported)?.status == 501)
    }

    @Test func parsesRequestWithBodyArrivingOneByteAtATime() throws {
        let wire =
            "POST /sessions?profileArn=arn%3Aaws%3Aa&x=1 HTTP/1.1\r\nHost: example\r\nX-Amz-Date:   20240101T000000Z  \r\n"
            + "Authorization: AWS4-X509-ECDSA-SHA256 Credential=1/2,  SignedHeaders=host\r\nContent-Length: 11\r\n\r\nhello world"
        for step in [1, 2, 7, .max] {
            let result = parse(wire, step: step)
            #expect(result.failure == nil)
            let request = try #require(result.requests.first)
            #expect(result.requests.count == 1)
            #expect(request.method == "POST")
            #expect(request.target == "/sessions?profileArn=arn%3Aaws%3Aa&x=1")
            #expect(request.path == "/sessions")
            #expect(request.query == "profileArn=arn%3Aaws%3Aa&x=1")
            #expect(request.version == "HTTP/1.1")
            #expect(request.headers["x-amz-date"] == "20240101T000000Z")
            #expect(request.headers["Authorization"] == "AWS4-X509-ECDSA-SHA256 Credential=1/2,  SignedHeaders=host")
            #expect(request.headers.fields.map(\.name) == ["Host", "X-Amz-Date", "Authorization", "Content-Length"])
            #expect(request.body == Array("hello world".utf8))
            #expect(request.remoteAddress == "192.0.2.1")
        }
    }

    @Test func dechunksBodyIgnoringExtensionsAndDroppingTrailers() throws {
        let wire =
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\n1 \r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: yes\r\n\r\n"
        for step in [1, 3, .max] {
            let result = parse(wire, step: step)
            #expect(result.failure == nil)
            let request = try #require(result.requests.first)
            #expect(String(decoding: request.body, as: UTF8.self) == "hello 0123456789")
            #expect(request.headers["X-Trailer"] == nil)
        }
    }

    @Test func pipelinedRequestsComeOutInOrder() {
        let wire =
            "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
            + "POST /3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\nHEAD /4 HTTP/1.0\r\n\r\n"
        for step in [1, 5, .max] {
            let result = parse(wire, step: step)
            #expect(result.failure == nil)
            #expect(result.requests.map(\.target) == ["/1", "/2", "/3", "/4"])
            #expect(result.requests.map { String(decoding: $0.body, as: UTF8.self) } == ["", "abc", "xy", ""])
        }
    }

    @Test func acceptsBareLFAndLeadingEmptyLines() throws {
        let result = parse("\r\n\nGET / HTTP/1.1\nHost: a\n\n")
        #expect(result.failure == nil)
        #expect(result.requests.first?.headers["host"] == "a")
    }

    @Test func keepsObsTextAndDuplicatesAsReceived() throws {
        let result = parse("GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nx-a: 2\r\nX-Bin: caf\u{E9}\r\n\r\n")
        let request = try #require(result.requests.first)
        #expect(request.headers.values(for: "X-A") == ["1", "2"])
        #expect(request.headers["X-Bin"] == "caf\u{E9}")
    }

    @Test func phaseTracksProgress() {
        var parser = HTTPRequestParser(limits: .init(maxHeaderBytes: 32768, maxHeaderCount: 10, maxBodyBytes: 100))
        #expect(parser.phase == .idle)
        parser.append(Array("POST / HTTP/1.1\r\nHost: a\r\n".utf8))
        _ = parser.next()
        #expect(parser.phase == .head)
        parser.append(Array("Content-Length: 2\r\n\r\na".utf8))
        _ = parser.next()
        #expect(parser.phase == .body)
        parser.append(Array("b".utf8))
        if case .request = parser.next() {} else { Issue.record("expected a request") }
        #expect(parser.phase == .idle)
    }

    @Test(arguments: [
        // Request line
        ("GET /\r\nHost: a\r\n\r\n", 400),
        ("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400),
        ("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("GET / http/1.1\r\nHost: a\r\n\r\n", 400),
        ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
        ("GET /a\u{01}b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        // Header syntax
        ("GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n  folded\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nName : x\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\n: empty-name\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{00}b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        // Content-Length
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 2\r\n\r\nab", 400),
        // Smuggling shapes
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n", 400),
        (
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            400
        ),
        ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 501),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n", 501),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n", 400),
        // Chunk framing
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\rX0\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3 x\r\nabc\r\n0\r\n\r\n", 400),
    ])
    func rejects(wire: String, expected: Int) {
        for step in [1, Int.max] {
            let result = parse(wire, step: step)
            #expect(result.failure?.status == expected, "\(wire.debugDescription) step \(step)")
            #expect(result.requests.isEmpty)
        }
    }

    @Test func acceptsIdenticalDuplicateContentLengths() {
        let result = parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 2, 2\r\n\r\nab")
        #expect(result.failure == nil)
        #expect(result.requests.first?.body == Array("ab".utf8))
    }

    @Test func enforcesSizeLimits() {
        let longHeader = "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "a", count: 40_000) + "\r\n\r\n"
        #expect(status(longHeader) == 431)
        let longTarget = "GET /" + String(repeating: "a", count: 40_000) + " HTTP/1.1\r\nHost: a\r\n\r\n"
        #expect(status(longTarget) == 414)
        let manyHeaders = "GET / HTTP/1.1\r\nHost: a\r\n" + String(repeating: "X: 1\r\n", count: 10) + "\r\n"
        #expect(status(manyHeaders, maxHeaderCount: 10) == 431)
        #expect(status(manyHeaders, maxHeaderCount: 11) == nil)
        #expect(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n", maxBodyBytes: 10) == 413)
        let chunked = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n6\r\naaaaaa\r\n6\r\n"
        #expect(status(chunked, maxBodyBytes: 10) == 413)
        let bigTrailers =
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: "
            + String(repeating: "a", count: 40_000) + "\r\n\r\n"
        #expect(status(bigTrailers) == 431)
    }

    /// Found by Tests/Fuzz (http_request): a chunk-size or trailer line near its limit was accepted
    /// when it arrived whole and refused when it arrived in pieces.
    @Test func longChunkAndTrailerLinesDoNotDependOnSegmentation() {
        let head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        for extensionLength in 4090...4097 {
            let wire = head + "1;" + String(repeating: "e", count: extensionLength) + "\r\nx\r\n0\r\n\r\n"
            let whole = parse(wire)
            for step in [1, 3, 4096] {
                let pieces = parse(wire, step: step)
                #expect(pieces.failure?.status == whole.failure?.status, "extension \(extensionLength), step \(step)")
                #expect(pieces.requests.map(\.body) == whole.requests.map(\.body))
            }
        }
        #expect(parse(head + "1;" + String(repeating: "e", count: 4092) + "\r\nx\r\n0\r\n\r\n", step: 1).failure == nil)
        let trailerHead = head + "0\r\nX: "
        for valueLength in 88...96 {
            let wire = trailerHead + String(repeating: "a", count: valueLength) + "\r\n\r\n"
            let whole = parse(wire, maxHeaderBytes: 96)
            for step in [1, 2, 5] {
                #expect(parse(wire, step: step, maxHeaderBytes: 96).failure?.status == whole.failure?.status)
            }
        }
    }

    /// Bytes that cannot begin a request line are refused at the first impossible byte (`at`), with no line end
    /// and no deadline needed: the parser answers 400 while the rest of the stream is still to come.
    @Test(
        arguments: [
            ([0x00], 0, "a NUL"),
            ([0x00, 0x47, 0x45, 0x54, 0x20, 0x2F], 0, "a method starting with NUL"),
            ([0x16, 0x03, 0x01, 0x02, 0x00, 0x01], 0, "a TLS record (ClientHello) inside TLS"),
            ([0x47, 0x45, 0x54, 0xFF, 0x20], 3, "a non-token byte in the method"),
            ([0x47, 0x45, 0x54, 0x09, 0x2F], 3, "a tab after the method"),
            ([0x20, 0x47], 0, "a space before the method"),
            ([0x47, 0x20, 0x2F, 0x00, 0x20], 3, "a NUL in the target"),
            ([0x47, 0x20, 0x2F, 0x20, 0x48, 0x54, 0x54, 0x51, 0x2F], 7, "a version that is not HTTP/"),
            (
                [0x47, 0x20, 0x2F, 0x20, 0x48, 0x54, 0x54, 0x50, 0x2F, 0x31, 0x2E, 0x31, 0x31, 0x0D], 12,
                "a ninth version byte"
            ),
            ([0x47, 0x20, 0x2F, 0x0D, 0x0A], 3, "a line end before the version"),
            ([0x0D, 0x41, 0x0A], 1, "a CR of an empty line without its LF"),
            ([0x0D, 0x0A, 0x80, 0x47], 2, "junk after an empty line"),
        ] as [([UInt8], Int, String)])
    func refusesImpossibleRequestLineAtOnce(bytes: [UInt8], at: Int, what: String) {
        var parser = HTTPRequestParser(limits: .init(maxHeaderBytes: 32768, maxHeaderCount: 10, maxBodyBytes: 100))
        for (index, byte) in bytes.enumerated() {
            parser.append([byte])
            switch parser.next() {
            case .needMore:
                if index >= at {
                    Issue.record("\(what): not refused at byte \(at)")
                    return
                }
            case .failure(let status, _):
                #expect(status == 400 && index == at, "\(what): refused with \(status) at byte \(index)")
                return
            case .request:
                Issue.record("\(what): parsed as a request")
                return
            }
        }
    }

    /// The honest neighbours: every prefix of a valid request line (with leading empty lines, a bare LF, a
    /// well-formed unsupported version) waits for more instead of being refused.
    @Test func waitsOnEveryPrefixOfAPossibleRequestLine() {
        for line in ["\r\n\nPOST /sessions?a=b HTTP/1.1\r\n", "M-SEARCH * HTTP/1.0\n", "GET / HTTP/2.0\r\n"] {
            var parser = HTTPRequestParser(limits: .init(maxHeaderBytes: 32768, maxHeaderCount: 10, maxBodyBytes: 100))
            for byte in line.utf8 {
                parser.append([byte])
                guard case .needMore = parser.next() else {
                    Issue.record("\(line.debugDescription) refused at \(byte)")
                    break
                }
            }
        }
        #expect(parse("GET / HTTP/2.0\r\nHost: a\r\n\r\n").failure?.status == 505)
        #expect(
            parse("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n", step: 1).requests.count
                == 2)
    }

    @Test func failureIsSticky() {
        var parser = HTTPRequestParser(limits: .init(maxHeaderBytes: 32768, maxHeaderCount: 10, maxBodyBytes: 100))
        parser.append(Array("BAD\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        guard case .failure(400, _) = parser.next() else {
            Issue.record("expected 400")
            return
        }
        guard case .failure(400, _) = parser.next() else {
            Issue.record("expected sticky 400")
            return
        }
    }

    @Test func flagsExpectContinueOnlyWhileTheBodyIsOutstanding() {
        var parser = HTTPRequestParser(limits: .init(maxHeaderBytes: 32768, maxHeaderCount: 10, maxBodyBytes: 100))
        parser.append(Array("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n".utf8))
        guard case .needMore = parser.next() else {
            Issue.record("expected needMore")
            return
        }
        #expect(parser.expectsContinue)
        parser.append(Array("ok".utf8))
        guard case .request(let request) = parser.next() else {
            Issue.record("expected a request")
            return
        }
        #expect(request.body == Array("ok".utf8))
        #expect(!parser.expectsContinue)
    }
}
