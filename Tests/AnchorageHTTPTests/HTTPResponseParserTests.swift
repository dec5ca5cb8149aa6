import Testing

@testable import AnchorageHTTP

/// Feeds `wire` in pieces of `step` bytes, then the end of the stream when `close` is set; returns the
/// answers and the failure, if any.
private func read(
    _ wire: String, method: String = "POST", step: Int = .max, close: Bool = true,
    limits: HTTPResponseLimits = .standard
) -> (responses: [HTTPResponse], failure: String?) {
    read(Array(wire.utf8), method: method, step: step, close: close, limits: limits)
}

private func read(
    _ bytes: [UInt8], method: String = "POST", step: Int = .max, close: Bool = true,
    limits: HTTPResponseLimits = .standard
) -> (responses: [HTTPResponse], failure: String?) {
    var parser = HTTPResponseParser(limits: limits)
    var responses: [HTTPResponse] = []
    var offset = 0
    func drain(_ endOfStream: Bool) -> String? {
        while true {
            switch parser.next(method: method, endOfStream: endOfStream) {
            case .response(let response):
                responses.append(response)
                if endOfStream && parser.bufferedByteCount == 0 { return nil }
            case .needMore: return nil
            case .failure(let message): return message
            }
        }
    }
    while offset < bytes.count {
        let end = min(bytes.count, offset + min(step, bytes.count))
        parser.append(bytes[offset..<end])
        offset = end
        if let failure = drain(false) { return (responses, failure) }
    }
    if close, responses.isEmpty || parser.bufferedByteCount > 0, let failure = drain(true) {
        return (responses, failure)
    }
    return (responses, nil)
}

private let body = #"{"credentialSet":[]}"#

@Suite struct HTTPResponseParserTests {
    @Test func readsContentLengthChunkedAndUntilCloseBodies() {
        for step in [1, 7, Int.max] {
            let fixed = read("HTTP/1.1 201 Created\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)", step: step)
            #expect(fixed.failure == nil && fixed.responses.count == 1)
            #expect(fixed.responses.first?.status == 201 && fixed.responses.first?.body == Array(body.utf8))
            let chunked = read(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n4;ext=1\r\nabcd\r\n2\r\nef\r\n0\r\nX-Trailer: t\r\n\r\n",
                step: step)
            #expect(chunked.failure == nil && chunked.responses.first?.body == Array("abcdef".utf8), "\(chunked)")
            let untilClose = read("HTTP/1.0 200 OK\r\n\r\n\(body)", step: step)
            #expect(untilClose.failure == nil && untilClose.responses.first?.body == Array(body.utf8))
        }
    }

    @Test func skipsInterimAnswersAndKeepsAliveInOrder() {
        let wire =
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\n"
            + "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
        let result = read(wire, close: false)
        #expect(result.failure == nil)
        #expect(result.responses.map(\.status) == [200, 404])
        #expect(result.responses.first?.headers["Link"] == nil, "interim fields are not kept")
    }

    @Test func bodylessAnswers() {
        #expect(read("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", method: "HEAD").responses.first?.body == [])
        #expect(read("HTTP/1.1 204 No Content\r\n\r\n", close: false).responses.count == 1)
        let ambiguous = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"
        #expect(read(ambiguous, method: "HEAD").failure != nil, "framed two ways, even without a body")
        #expect(read("HTTP/1.1 304 Not Modified\r\n\r\n", close: false).responses.count == 1)
        // A tunnel's first bytes are not the answer's body: they stay buffered for the caller to refuse.
        var parser = HTTPResponseParser(limits: .standard)
        parser.append(Array("HTTP/1.1 200 Connection established\r\n\r\nHTTP/1.1 201 Created\r\n".utf8))
        guard case .response(let answer) = parser.next(method: "CONNECT", endOfStream: false) else {
            Issue.record("no CONNECT answer")
            return
        }
        #expect(answer.status == 200 && answer.body.isEmpty)
        #expect(parser.bufferedByteCount == "HTTP/1.1 201 Created\r\n".utf8.count)
    }

    @Test(
        "framing a hostile server could use is refused",
        arguments: [
            "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nabc",
            "HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\na",
            "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            "HTTP/1.1 200 OK\r\nContent-Length: 1, 1\r\n\r\na",
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nabc\r\n0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x1\r\na\r\n0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab",
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n",
            "HTTP/1.1 200 OK\r\nX-A: b\r\n folded\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nBad Name: b\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nX-A: b\u{1B}[2J\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nX-A: b\0c\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 200 OK\rX-A: b\r\nContent-Length: 0\r\n\r\n",
            "HTTP/2 200 OK\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 600 Odd\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n",
            "",
        ])
    func refusesHostileFraming(_ wire: String) {
        let result = read(wire)
        #expect(result.failure != nil && result.responses.isEmpty, "\(result)")
    }

    @Test func enforcesTheLimits() {
        let limits = HTTPResponseLimits(
            maxHeaderBytes: 1024, maxHeaderCount: 4, maxBodyBytes: 100, maxInterimResponses: 2)
        let filler = String(repeating: "a", count: 1000)
        #expect(read("HTTP/1.1 200 OK\r\nX-A: \(filler)\r\nContent-Length: 0\r\n\r\n", limits: limits).failure != nil)
        #expect(
            read("HTTP/1.1 200 OK\r\nX-A: \(filler)aaaaaaaaaa", close: false, limits: limits).failure != nil,
            "before the line ends")
        let fields = (0..<5).map { "X-\($0): v\r\n" }.joined()
        #expect(read("HTTP/1.1 200 OK\r\n\(fields)Content-Length: 0\r\n\r\n", limits: limits).failure != nil)
        #expect(read("HTTP/1.1 200 OK\r\nContent-Length: 101\r\n\r\n", close: false, limits: limits).failure != nil)
        #expect(
            read("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + String(repeating: "b", count: 100), limits: limits)
                .failure == nil)
        let chunks =
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + String(repeating: "20\r\n\(String(repeating: "c", count: 32))\r\n", count: 4)
        #expect(read(chunks, close: false, limits: limits).failure != nil, "128 bytes of chunks")
        #expect(
            read("HTTP/1.1 200 OK\r\n\r\n" + String(repeating: "d", count: 101), close: false, limits: limits).failure
                != nil)
        let interim = String(repeating: "HTTP/1.1 100 Continue\r\n\r\n", count: 3)
        #expect(read(interim, close: false, limits: limits).failure != nil)
        #expect(
            read(
                String(repeating: "HTTP/1.1 100 Continue\r\n\r\n", count: 2)
                    + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", limits: limits
            ).failure == nil)
        // Interim answers share the head budget with the final one.
        let heads = String(
            repeating: "HTTP/1.1 100 Continue\r\nX-A: \(String(repeating: "e", count: 400))\r\n\r\n", count: 2)
        #expect(
            read(
                heads + "HTTP/1.1 200 OK\r\nX-B: \(String(repeating: "f", count: 300))\r\n\r\n", close: false,
                limits: limits
            ).failure != nil)
    }

    @Test func aLineTrickledByteByByteIsScannedOnce() {
        var parser = HTTPResponseParser(limits: .standard)
        let line = Array(("HTTP/1.1 200 OK\r\nX-Long: " + String(repeating: "a", count: 60_000) + "\r\n\r\n").utf8)
        var answers = 0
        for byte in line {
            parser.append([byte])
            if case .response = parser.next(method: "GET", endOfStream: false) { answers += 1 }
        }
        #expect(answers == 0, "no framing: the body runs until close")
        #expect(parser.bytesScanned == line.count, "each byte examined once: \(parser.bytesScanned)")
    }

    @Test func failuresAreStickyAndNameNothingTheServerSent() {
        var parser = HTTPResponseParser(limits: .standard)
        parser.append(Array("HTTP/1.1 200 OK\r\nX-\u{1B}]0;t\u{7}: v\r\n\r\n".utf8))
        guard case .failure(let first) = parser.next(method: "GET", endOfStream: false) else {
            Issue.record("accepted a field name with controls")
            return
        }
        #expect(!first.unicodeScalars.contains { $0.value < 0x20 })
        parser.append(Array("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".utf8))
        guard case .failure(let again) = parser.next(method: "GET", endOfStream: false) else {
            Issue.record("recovered after a failure")
            return
        }
        #expect(again == first)
    }
}
