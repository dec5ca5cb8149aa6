// HTTP/1.1 response reader of the client (Sources/AnchorageHTTP/Client/HTTPResponseParser.swift), the one
// reader of what a CreateSession server or a proxy answers to anchorage-helper.
//
// Input: byte 0 picks the limits and the request method, byte 1 the segmentation, the rest is the byte
// stream a server sends (then the server closes).
// Invariants beyond "no crash":
//  - the same stream gives the same events whether it arrives at once or in 1-8 byte segments;
//  - every line-end search is linear: no byte is examined twice, however the stream was cut;
//  - no answer has a body over maxBodyBytes or more fields than maxHeaderCount; a final status is
//    200...599 (1xx are skipped, at most maxInterimResponses of them); names are tokens, values hold
//    no control character and are trimmed; HEAD, 204, 304 and a 2xx to CONNECT have no body;
//  - an answer re-serialised with Content-Length reads back to the same answer;
//  - failures are sticky and their messages quote nothing the server sent (no control character).
@testable import AnchorageHTTP

private enum Outcome: Equatable {
    case response(status: Int, headers: [String], body: [UInt8])
    case failure(String)
}

private func describe(_ response: HTTPResponse) -> Outcome {
    .response(
        status: response.status, headers: response.headers.fields.map { "\($0.name)\u{0}\($0.value)" },
        body: response.body)
}

/// Appends `segment` (nil: the end of the stream) and drains every event; false after a failure.
private func feed(
    _ parser: inout HTTPResponseParser, _ segment: ArraySlice<UInt8>?, method: String, into outcomes: inout [Outcome]
) -> Bool {
    if let segment { parser.append(segment) }
    while true {
        switch parser.next(method: method, endOfStream: segment == nil) {
        case .needMore: return true
        case .response(let response):
            outcomes.append(describe(response))
            // At the end of the stream an answer without framing is complete; stop when nothing is left.
            if segment == nil && parser.bufferedByteCount == 0 { return true }
        case .failure(let message):
            outcomes.append(.failure(message))
            return false
        }
    }
}

private func checkResponse(_ response: HTTPResponse, method: String, limits: HTTPResponseLimits) {
    fuzzCheck((200...599).contains(response.status), "final status \(response.status)")
    fuzzCheck(response.body.count <= limits.maxBodyBytes, "body of \(response.body.count) bytes over the limit")
    fuzzCheck(response.headers.fields.count <= limits.maxHeaderCount, "\(response.headers.fields.count) fields")
    if method == "HEAD" || response.status == 204 || response.status == 304
        || (method == "CONNECT" && (200..<300).contains(response.status))
    {
        fuzzCheck(response.body.isEmpty, "a body on a bodyless answer")
    }
    for field in response.headers.fields {
        fuzzCheck(!field.name.isEmpty && field.name.utf8.allSatisfy(\.isTokenChar), "field name is not a token")
        fuzzCheck(
            field.value.unicodeScalars.allSatisfy { $0 == "\t" || ($0.value >= 0x20 && $0.value != 0x7F) },
            "control character in a value")
        if let first = field.value.unicodeScalars.first, let last = field.value.unicodeScalars.last {
            fuzzCheck(first != " " && first != "\t" && last != " " && last != "\t", "value not trimmed")
        }
    }
    let lengths = response.headers.values(for: "Content-Length")
    let encodings = response.headers.values(for: "Transfer-Encoding")
    fuzzCheck(lengths.isEmpty || encodings.isEmpty, "both Content-Length and Transfer-Encoding accepted")
    if encodings.isEmpty, let length = lengths.first, !response.body.isEmpty {
        fuzzCheck(
            Int(length.trimmingSpaces) == response.body.count, "Content-Length \(length) for \(response.body.count)")
    }
}

/// The answer as a server could send it again: framing fields replaced by one Content-Length.
private func checkRoundTrip(_ response: HTTPResponse, method: String) {
    var out = Array("HTTP/1.1 \(response.status) R\r\n".utf8)
    let kept = response.headers.fields.filter {
        !HTTPHeaders.namesEqual($0.name, "Content-Length") && !HTTPHeaders.namesEqual($0.name, "Transfer-Encoding")
    }
    for field in kept { out += Array("\(field.name): \(field.value)\r\n".utf8) }
    out += Array("Content-Length: \(response.body.count)\r\n\r\n".utf8) + response.body
    var parser = HTTPResponseParser(limits: HTTPResponseLimits(maxHeaderBytes: 1 << 20, maxHeaderCount: 10_000))
    parser.append(out)
    guard case .response(let again) = parser.next(method: method, endOfStream: false) else {
        fuzzCheck(false, "a read answer does not read again once re-serialised")
        return
    }
    fuzzCheck(again.status == response.status && again.body == response.body, "status or body changed")
    let reread = again.headers.fields.dropLast()
    fuzzCheck(
        kept.count == reread.count && zip(kept, reread).allSatisfy { $0.name == $1.name && $0.value == $1.value },
        "header fields changed")
    fuzzCheck(parser.bufferedByteCount == 0, "re-serialised answer left bytes behind")
}

extension String {
    fileprivate var trimmingSpaces: Substring {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let shape = input.byte()
    let split = input.byte()
    let stream = input.rest()
    let limits = HTTPResponseLimits(
        maxHeaderBytes: [48, 512, 4096, 64 * 1024][Int(shape & 3)],
        maxHeaderCount: [2, 256][Int(shape >> 2 & 1)],
        maxBodyBytes: [0, 16, 1024, 1 << 20][Int(shape >> 3 & 3)],
        maxInterimResponses: [0, 8][Int(shape >> 5 & 1)])
    let method = ["POST", "HEAD", "CONNECT", "GET"][Int(shape >> 6 & 3)]

    // All at once, then the end of the stream.
    var whole = HTTPResponseParser(limits: limits)
    var wholeOutcomes: [Outcome] = []
    if feed(&whole, stream[...], method: method, into: &wholeOutcomes) {
        _ = feed(&whole, nil, method: method, into: &wholeOutcomes)
    }
    fuzzCheck(whole.bytesScanned <= stream.count, "\(whole.bytesScanned) bytes scanned of \(stream.count)")

    // In segments of 1...8 bytes (pattern from `split`), draining after each.
    var pieces = HTTPResponseParser(limits: limits)
    var piecesOutcomes: [Outcome] = []
    var offset = 0
    var step = 0
    var alive = true
    while offset < stream.count && alive {
        let length = Int((split >> UInt8(step % 4 * 2)) & 7) + 1
        let end = min(stream.count, offset + length)
        step += 1
        alive = feed(&pieces, stream[offset..<end], method: method, into: &piecesOutcomes)
        offset = end
    }
    if alive { _ = feed(&pieces, nil, method: method, into: &piecesOutcomes) }
    fuzzCheck(pieces.bytesScanned <= stream.count, "\(pieces.bytesScanned) bytes scanned of \(stream.count) in pieces")
    fuzzCheck(
        wholeOutcomes == piecesOutcomes,
        "segmentation changed the outcome: whole \(wholeOutcomes.count) events, pieces \(piecesOutcomes.count); "
            + "last whole \(String(describing: wholeOutcomes.last)), last pieces \(String(describing: piecesOutcomes.last))"
    )

    // Per-answer invariants and the round trip, on a fresh read so the answers themselves are at hand.
    var parser = HTTPResponseParser(limits: limits)
    parser.append(stream)
    var endOfStream = false
    loop: while true {
        switch parser.next(method: method, endOfStream: endOfStream) {
        case .response(let response):
            checkResponse(response, method: method, limits: limits)
            checkRoundTrip(response, method: method)
            if endOfStream && parser.bufferedByteCount == 0 { break loop }
        case .failure(let message):
            fuzzCheck(!message.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }, "control in a failure")
            parser.append(Array("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".utf8))
            if case .response = parser.next(method: method, endOfStream: false) {
                fuzzCheck(false, "an answer read after a failure")
            }
            break loop
        case .needMore:
            if endOfStream { break loop }
            endOfStream = true
        }
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    fuzzWriteSeedsIfAsked(writeSeeds)
    return 0
}

private func writeSeeds(_ directory: String) {
    // Byte 0x3B: 64 KiB headers, 256 fields, 1 MiB body, 8 interim answers, POST (the helper's limits);
    // byte 1: mixed segments.
    let post: [UInt8] = [0x3B, 0x5B]
    let connect: [UInt8] = [0x3B | 0x80, 0x5B]
    let credentials =
        #"{"credentialSet":[{"credentials":{"accessKeyId":"ASIAEXAMPLEKEY0001","secretAccessKey":"s/k+e=","sessionToken":"dG9rZW4=","expiration":"2030-01-01T00:00:00Z"}}]}"#
    let seeds: [(String, [UInt8], String)] = [
        (
            "create-session", post,
            "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nx-amzn-RequestId: r\r\nContent-Length: \(credentials.utf8.count)\r\n\r\n\(credentials)"
        ),
        (
            "chunked", post,
            "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\nX-T: t\r\n\r\n"
        ),
        (
            "interim", post,
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\nHTTP/1.1 403 Forbidden\r\nX-Amzn-ErrorType: AccessDeniedException\r\nContent-Length: 2\r\n\r\n{}"
        ),
        ("until-close", post, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nbody until close"),
        ("negative-length", post, "HTTP/1.1 201 Created\r\nContent-Length: -1\r\n\r\n{}"),
        ("negative-chunk", post, "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n{}\r\n0\r\n\r\n"),
        ("cl-and-te", post, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        ("keep-alive", post, "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"),
        ("bare-lf-fold", post, "HTTP/1.1 200 OK\nX: a\n b\nContent-Length: 0\n\n"),
        (
            "connect-then-bytes", connect,
            "HTTP/1.1 200 Connection established\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}"
        ),
    ]
    for (name, prefix, text) in seeds { fuzzWriteSeed(directory, name, prefix + Array(text.utf8)) }
}
