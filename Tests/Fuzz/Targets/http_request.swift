// HTTP/1.1 request parser (Sources/AnchorageHTTP/Codec/HTTPRequestParser.swift).
//
// Input: byte 0 picks the limits, byte 1 the segmentation, the rest is the byte stream a client sends.
// Invariants beyond "no crash":
//  - the same stream gives the same events whether it arrives at once or in small segments
//    (request smuggling lives in parsers whose answer depends on how TCP cut the bytes);
//  - no request has a body larger than maxBodyBytes or more than maxHeaderCount fields;
//  - field names are tokens, values carry no CR, LF, NUL or other control (tab aside) and no
//    surrounding whitespace; an HTTP/1.1 request has exactly one Host; framing is never ambiguous;
//  - a parsed request re-serialised with Content-Length parses back to the same request;
//  - bytes that cannot begin a request line (per an independent model of RFC 9112's request-line) are
//    refused with 400 as soon as the first impossible byte is in, without waiting for a line end.
@testable import AnchorageHTTP

private enum Outcome: Equatable {
    case request(method: String, target: String, version: String, headers: [String], body: [UInt8])
    case failure(status: Int)
}

private func describe(_ request: HTTPRequest) -> Outcome {
    .request(
        method: request.method, target: request.target, version: request.version,
        headers: request.headers.fields.map { "\($0.name)\u{0}\($0.value)" }, body: request.body)
}

/// Appends `segment` and drains every event it completes.
private func feed(_ parser: inout HTTPRequestParser, _ segment: ArraySlice<UInt8>, into outcomes: inout [Outcome])
    -> Bool
{
    parser.append(segment)
    while true {
        switch parser.next() {
        case .needMore: return true
        case .request(let request): outcomes.append(describe(request))
        case .failure(let status, _):
            outcomes.append(.failure(status: status))
            return false
        }
    }
}

private func isTokenByte(_ byte: UInt8) -> Bool {
    switch byte {
    case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
    default: return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
    }
}

private func checkRequest(_ request: HTTPRequest, limits: HTTPRequestParser.Limits) {
    fuzzCheck(request.body.count <= limits.maxBodyBytes, "body of \(request.body.count) bytes over the limit")
    fuzzCheck(request.headers.fields.count <= limits.maxHeaderCount, "\(request.headers.fields.count) header fields")
    fuzzCheck(!request.method.isEmpty && request.method.utf8.allSatisfy(isTokenByte), "method is not a token")
    fuzzCheck(
        !request.target.isEmpty && request.target.utf8.allSatisfy { (0x21...0x7E).contains($0) },
        "request-target holds whitespace or controls")
    fuzzCheck(request.version == "HTTP/1.1" || request.version == "HTTP/1.0", "version \(request.version)")
    for field in request.headers.fields {
        fuzzCheck(!field.name.isEmpty && field.name.utf8.allSatisfy(isTokenByte), "field name is not a token")
        for scalar in field.value.unicodeScalars {
            fuzzCheck(scalar == "\t" || (scalar.value >= 0x20 && scalar.value != 0x7F), "control character in a value")
        }
        if let first = field.value.unicodeScalars.first, let last = field.value.unicodeScalars.last {
            fuzzCheck(first != " " && first != "\t" && last != " " && last != "\t", "value not trimmed")
        }
    }
    let hosts = request.headers.values(for: "Host").count
    if request.version == "HTTP/1.1" { fuzzCheck(hosts == 1, "HTTP/1.1 request with \(hosts) Host fields") }
    let lengths = request.headers.values(for: "Content-Length")
    let encodings = request.headers.values(for: "Transfer-Encoding")
    fuzzCheck(lengths.isEmpty || encodings.isEmpty, "both Content-Length and Transfer-Encoding accepted")
    if encodings.isEmpty, !lengths.isEmpty {
        // Every accepted Content-Length item names the body's length.
        for field in lengths {
            for item in field.split(separator: ",", omittingEmptySubsequences: false) {
                let digits = item.trimmingCharacters(in: " \t")
                fuzzCheck(Int(digits) == request.body.count, "Content-Length \(field) for \(request.body.count) bytes")
            }
        }
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> Substring {
        var s = self
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return s
    }
}

/// The request as a client would send it again: framing fields replaced by one Content-Length.
private func serialize(_ request: HTTPRequest) -> [UInt8] {
    var out = Array("\(request.method) \(request.target) \(request.version)\r\n".utf8)
    for field in request.headers.fields {
        if HTTPHeaders.namesEqual(field.name, "Content-Length")
            || HTTPHeaders.namesEqual(field.name, "Transfer-Encoding")
        {
            continue
        }
        out += Array("\(field.name): \(field.value)\r\n".utf8)
    }
    out += Array("Content-Length: \(request.body.count)\r\n\r\n".utf8)
    return out + request.body
}

private func checkRoundTrip(_ request: HTTPRequest) {
    let limits = HTTPRequestParser.Limits(maxHeaderBytes: 1 << 20, maxHeaderCount: 10_000, maxBodyBytes: 1 << 20)
    var parser = HTTPRequestParser(limits: limits)
    parser.append(serialize(request))
    guard case .request(let again) = parser.next() else {
        fuzzCheck(false, "a parsed request does not parse again once re-serialised")
        return
    }
    fuzzCheck(again.method == request.method && again.target == request.target, "request line changed")
    fuzzCheck(again.version == request.version && again.body == request.body, "version or body changed")
    let original = request.headers.fields.filter {
        !HTTPHeaders.namesEqual($0.name, "Content-Length") && !HTTPHeaders.namesEqual($0.name, "Transfer-Encoding")
    }
    let reparsed = again.headers.fields.dropLast()
    fuzzCheck(
        original.count == reparsed.count
            && zip(original, reparsed).allSatisfy { $0.name == $1.name && $0.value == $1.value },
        "header fields changed")
    guard case .needMore = parser.next() else {
        fuzzCheck(false, "re-serialised request left bytes behind")
        return
    }
}

/// Whether `line` (the bytes after any leading empty lines) can still be extended to
/// `token SP 1*(%x21-7E) SP "HTTP/" DIGIT "." DIGIT [CR] LF`. Written apart from the parser's scanner: split at
/// the spaces, then compare each part with its class.
private func canBeginRequestLine(_ line: ArraySlice<UInt8>) -> Bool {
    let parts = line.split(separator: 0x20, maxSplits: 2, omittingEmptySubsequences: false)
    if !parts[0].allSatisfy(isTokenByte) { return false }
    if parts.count == 1 { return true }
    if parts[0].isEmpty { return false }
    if !parts[1].allSatisfy({ (0x21...0x7E).contains($0) }) { return false }
    if parts.count == 2 { return true }
    if parts[1].isEmpty { return false }
    let version = Array(parts[2])
    let template = Array("HTTP/0.0".utf8)
    for (index, byte) in version.enumerated() {
        switch index {
        case 5, 7: if !(0x30...0x39).contains(byte) { return false }
        case 0..<8: if byte != template[index] { return false }
        case 8: if byte != 0x0D && byte != 0x0A { return false }
        case 9: if version[8] != 0x0D || byte != 0x0A { return false }
        default: return true  // past the line end: the request line is complete
        }
    }
    return true
}

/// The index of the first byte at which the stream's first request line becomes impossible, with the offset
/// where that line starts (after the empty lines allowed before it); nil when it never does.
private func firstImpossibleByte(_ stream: [UInt8]) -> (index: Int, lineStart: Int)? {
    var lineStart = 0
    while true {
        if lineStart < stream.count, stream[lineStart] == 0x0A {
            lineStart += 1
        } else if lineStart + 1 < stream.count, stream[lineStart] == 0x0D, stream[lineStart + 1] == 0x0A {
            lineStart += 2
        } else {
            break
        }
    }
    // A CR not followed by LF: the CR itself may still begin an empty line, the byte after it cannot follow.
    if lineStart < stream.count, stream[lineStart] == 0x0D {
        return lineStart + 1 < stream.count ? (lineStart + 1, lineStart) : nil
    }
    var end = lineStart
    while end < stream.count {
        if !canBeginRequestLine(stream[lineStart...end]) { return (end, lineStart) }
        if stream[end] == 0x0A { return nil }
        end += 1
    }
    return nil
}

/// A stream whose request line turns impossible is refused once that byte is in (400, or 414 when the line was
/// already longer than the limit), and not before it (unless for length).
private func checkEarlyRefusal(_ stream: [UInt8], limits: HTTPRequestParser.Limits) {
    guard let (index, lineStart) = firstImpossibleByte(stream) else { return }
    var parser = HTTPRequestParser(limits: limits)
    parser.append(stream[..<index])
    let before = parser.next()
    parser = HTTPRequestParser(limits: limits)
    parser.append(stream[...index])
    let at = parser.next()
    let tooLong = index - lineStart >= limits.maxHeaderBytes
    switch before {
    case .needMore: break
    case .failure(414, _) where tooLong: return
    default: fuzzCheck(false, "refused or parsed before the impossible byte at \(index)")
    }
    switch at {
    case .failure(400, _): break
    case .failure(414, _) where tooLong: break
    default: fuzzCheck(false, "not refused with 400 at the impossible byte at \(index): \(at)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let shape = input.byte()
    let split = input.byte()
    let stream = input.rest()
    let headerBytes = [48, 256, 4096, 64 * 1024][Int(shape & 3)]
    let headerCount = [1, 4, 100, 10_000][Int(shape >> 2 & 3)]
    let bodyBytes = [0, 7, 512, 1 << 20][Int(shape >> 4 & 3)]
    let limits = HTTPRequestParser.Limits(
        maxHeaderBytes: headerBytes, maxHeaderCount: headerCount, maxBodyBytes: bodyBytes)

    // All at once.
    var whole = HTTPRequestParser(limits: limits, remoteAddress: "192.0.2.1")
    var wholeOutcomes: [Outcome] = []
    _ = feed(&whole, stream[...], into: &wholeOutcomes)

    // In segments of 1...8 bytes (pattern from `split`), draining after each.
    var pieces = HTTPRequestParser(limits: limits, remoteAddress: "192.0.2.1")
    var piecesOutcomes: [Outcome] = []
    var offset = 0
    var step = 0
    while offset < stream.count {
        let length = Int((split >> UInt8(step % 4 * 2)) & 7) + 1
        let end = min(stream.count, offset + length)
        step += 1
        if !feed(&pieces, stream[offset..<end], into: &piecesOutcomes) { break }
        offset = end
    }
    fuzzCheck(
        wholeOutcomes == piecesOutcomes,
        "segmentation changed the outcome: whole \(wholeOutcomes.count) events, pieces \(piecesOutcomes.count) events; "
            + "last whole \(String(describing: wholeOutcomes.last)), last pieces \(String(describing: piecesOutcomes.last))"
    )

    checkEarlyRefusal(stream, limits: limits)

    // Per-request invariants and the round trip, on a fresh parse so the requests themselves are at hand.
    var parser = HTTPRequestParser(limits: limits)
    parser.append(stream)
    loop: while true {
        switch parser.next() {
        case .request(let request):
            checkRequest(request, limits: limits)
            checkRoundTrip(request)
        case .failure(let status, _):
            fuzzCheck([400, 413, 414, 431, 501, 505].contains(status), "unexpected status \(status)")
            // Failures are sticky: nothing after a refused request is ever parsed.
            parser.append(Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
            if case .request = parser.next() { fuzzCheck(false, "a request parsed after a failure") }
            break loop
        case .needMore: break loop
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
    // Byte 0x3B: 64 KiB headers, 100 fields, 1 MiB body (the production limits); byte 1: mixed segments.
    let prefix: [UInt8] = [0x3B, 0x5B]
    let seeds: [(String, String)] = [
        ("get", "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"),
        (
            "post-json",
            "POST /sessions HTTP/1.1\r\nHost: rolesanywhere.us-east-1.amazonaws.com\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n{\"durationSeconds\":3600}\r\n\r\n"
        ),
        (
            "chunked",
            "POST / HTTP/1.1\r\nHost: sts\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nAct=\r\n5\r\nion=G\r\n0\r\nTrailer: x\r\n\r\n"
        ),
        (
            "pipelined",
            "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.0\r\n\r\nPOST /c HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc"
        ),
        ("expect", "POST /sessions HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}"),
        (
            "smuggle-cl-te",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        ),
        ("bare-lf", "GET / HTTP/1.1\nHost: a\n\n"),
        ("nul-method", "\u{0}GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
        ("bad-version", "GET / HTTQ/1.1\r\nHost: a\r\n\r\n"),
        ("empty-lines-then-junk", "\r\n\n\r\n\u{7F}"),
        ("lone-cr", "\r(\n\nGET / HTTP/1.1\r\n\r\n"),
        ("obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n"),
        (
            "long-chunk-ext",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;" + String(repeating: "e", count: 4093)
                + "\r\nx\r\n0\r\n\r\n"
        ),
    ]
    for (name, text) in seeds { fuzzWriteSeed(directory, name, prefix + Array(text.utf8)) }
    // Binary: a TLS ClientHello sent where HTTP was expected (TLS inside TLS), and bytes 0x00-0xFF.
    fuzzWriteSeed(directory, "tls-record", prefix + [0x16, 0x03, 0x01, 0x00, 0x2F, 0x01, 0x00, 0x00, 0x2B, 0x03, 0x03])
    fuzzWriteSeed(directory, "all-bytes", prefix + (0...255).map { UInt8($0) })
}
