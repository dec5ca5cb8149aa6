import AnchorageBasics

/// Incremental HTTP/1.1 request decoder over raw bytes.
///
/// Bytes are appended as they arrive (one at a time is fine); `next()` yields complete requests in
/// order, `needMore`, or a sticky failure with the status the server must answer before closing.
/// Scanning state is kept between calls so byte-by-byte arrival stays linear, and nothing becomes a
/// `String` until a whole header section has arrived.
struct HTTPRequestParser {
    struct Limits {
        var maxHeaderBytes: Int
        var maxHeaderCount: Int
        var maxBodyBytes: Int
    }

    enum Event {
        case request(HTTPRequest)
        case needMore
        case failure(status: Int, reason: String)
    }

    /// Where the parser is within the current request; the connection picks its deadline from this.
    enum Phase: Equatable {
        /// No byte of the next request has arrived.
        case idle
        /// Part of a header section has arrived.
        case head
        /// The header section is complete and the body is still arriving.
        case body
    }

    private enum State {
        case head
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers(bytes: Int)
    }

    private struct Head {
        var method: String
        var target: String
        var version: String
        var headers: HTTPHeaders
    }

    /// Chunk-size lines longer than this are hostile; extensions are ignored but still bounded.
    static let maxChunkLineBytes = 4096

    let limits: Limits
    var remoteAddress: String

    private var buffer: [UInt8] = []
    /// First byte not yet consumed.
    private var start = 0
    /// Head scanning progress, relative to `start` so compaction never invalidates it.
    private var scanOffset = 0
    private var lineStartOffset = 0
    private var lineCount = 0
    /// The request line's bytes so far, checked as they arrive (``RequestLineScanner``).
    private var requestLine = RequestLineScanner()
    private var state = State.head
    private var head: Head?
    private var body: [UInt8] = []
    private var failure: (status: Int, reason: String)?

    /// Set when a complete header section asked for `Expect: 100-continue`; the connection clears it
    /// after sending the interim response.
    var expectsContinue = false

    init(limits: Limits, remoteAddress: String = "") {
        self.limits = limits
        self.remoteAddress = remoteAddress
    }

    var phase: Phase {
        switch state {
        case .head: start == buffer.count ? .idle : .head
        default: .body
        }
    }

    /// Bytes received but not yet consumed by a complete request.
    var bufferedByteCount: Int { buffer.count - start }

    mutating func append<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start >= 16 * 1024 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        append(UnsafeBufferPointer(start: bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), count: bytes.count))
    }

    mutating func next() -> Event {
        if let failure { return .failure(status: failure.status, reason: failure.reason) }
        while true {
            switch state {
            case .head:
                switch scanHead() {
                case .needMore: return .needMore
                case .failed(let status, let reason): return fail(status, reason)
                case .complete(let end):
                    if let (status, reason) = parseHead(end: end) { return fail(status, reason) }
                }
            case .fixedBody(let remaining):
                let take = min(remaining, buffer.count - start)
                body.append(contentsOf: buffer[start..<start + take])
                start += take
                if take < remaining {
                    state = .fixedBody(remaining: remaining - take)
                    return .needMore
                }
                return finish()
            case .chunkSize:
                guard let lineEnd = findLineEnd(limit: Self.maxChunkLineBytes) else {
                    // Refuse exactly when findLineEnd has seen its whole window without a LF, so the
                    // answer does not depend on how the bytes were segmented.
                    if buffer.count - start >= Self.maxChunkLineBytes + 2 {
                        return fail(400, "chunk size line too long")
                    }
                    return .needMore
                }
                guard let size = parseChunkSize(start..<lineEnd.contentEnd) else {
                    return fail(400, "malformed chunk size")
                }
                start = lineEnd.next
                if size == 0 {
                    state = .trailers(bytes: 0)
                } else {
                    if size > limits.maxBodyBytes - body.count {
                        return fail(413, "body exceeds \(limits.maxBodyBytes) bytes")
                    }
                    state = .chunkData(remaining: size)
                }
            case .chunkData(let remaining):
                let take = min(remaining, buffer.count - start)
                body.append(contentsOf: buffer[start..<start + take])
                start += take
                if take < remaining {
                    state = .chunkData(remaining: remaining - take)
                    return .needMore
                }
                state = .chunkDataEnd
            case .chunkDataEnd:
                guard start < buffer.count else { return .needMore }
                if buffer[start] == .lf {
                    start += 1
                } else if buffer[start] == .cr {
                    guard start + 1 < buffer.count else { return .needMore }
                    guard buffer[start + 1] == .lf else { return fail(400, "chunk data not followed by CRLF") }
                    start += 2
                } else {
                    return fail(400, "chunk data longer than its size")
                }
                state = .chunkSize
            case .trailers(let bytes):
                guard let lineEnd = findLineEnd(limit: limits.maxHeaderBytes - bytes) else {
                    // As for chunk-size lines: the same window findLineEnd searched.
                    if buffer.count - start >= max(limits.maxHeaderBytes - bytes, 0) + 2 {
                        return fail(431, "trailer section too large")
                    }
                    return .needMore
                }
                let lineLength = lineEnd.next - start
                let isEmpty = lineEnd.contentEnd == start
                if !isEmpty && (buffer[start] == .space || buffer[start] == .tab || !buffer[start].isTokenChar) {
                    return fail(400, "malformed trailer field")
                }
                start = lineEnd.next
                if isEmpty { return finish() }  // trailers are accepted and dropped
                state = .trailers(bytes: bytes + lineLength)
            }
        }
    }

    // MARK: - Head

    private enum HeadScan {
        case needMore
        case complete(end: Int)
        case failed(Int, String)
    }

    /// Finds the empty line ending the header section, resuming where the last call stopped.
    private mutating func scanHead() -> HeadScan {
        var index = start + scanOffset
        while index < buffer.count {
            // Bytes that cannot begin a request are refused at once, not when the line or the deadline ends.
            if lineCount == 0, let reason = requestLine.take(buffer[index]) { return .failed(400, reason) }
            if buffer[index] == .lf {
                let lineStart = start + lineStartOffset
                let contentEnd = index > lineStart && buffer[index - 1] == .cr ? index - 1 : index
                if contentEnd == lineStart {
                    if lineCount == 0 {
                        // RFC 9112 §2.2: ignore empty lines before the request-line (left over after a body).
                        start = index + 1
                        scanOffset = 0
                        lineStartOffset = 0
                        index = start
                        continue
                    }
                    return .complete(end: index + 1)
                }
                lineCount += 1
                if lineCount > limits.maxHeaderCount + 1 {
                    return .failed(431, "more than \(limits.maxHeaderCount) header fields")
                }
                lineStartOffset = index + 1 - start
            }
            index += 1
            if index - start > limits.maxHeaderBytes {
                return lineCount == 0
                    ? .failed(414, "request line exceeds \(limits.maxHeaderBytes) bytes")
                    : .failed(431, "header section exceeds \(limits.maxHeaderBytes) bytes")
            }
        }
        scanOffset = index - start
        return .needMore
    }

    /// Parses the complete header section `[start, end)` and sets up body framing; returns a failure or nil.
    private mutating func parseHead(end: Int) -> (Int, String)? {
        var lines: [Range<Int>] = []
        lines.reserveCapacity(lineCount)
        var lineStart = start
        for index in start..<end where buffer[index] == .lf {
            let contentEnd = index > lineStart && buffer[index - 1] == .cr ? index - 1 : index
            if contentEnd > lineStart { lines.append(lineStart..<contentEnd) }
            lineStart = index + 1
        }
        start = end
        scanOffset = 0
        lineStartOffset = 0
        lineCount = 0
        requestLine.reset()

        guard let requestLine = lines.first else { return (400, "empty request") }
        guard let (method, target, version) = parseRequestLine(requestLine) else {
            return (400, "malformed request line")
        }
        if version == nil { return (505, "unsupported HTTP version") }

        var headers = HTTPHeaders()
        headers.fields.reserveCapacity(lines.count - 1)
        for line in lines.dropFirst() {
            let first = buffer[line.lowerBound]
            if first == .space || first == .tab { return (400, "obsolete line folding") }
            guard let colon = buffer[line].firstIndex(of: .colon), colon > line.lowerBound else {
                return (400, "malformed header field")
            }
            for index in line.lowerBound..<colon where !buffer[index].isTokenChar {
                return (400, "invalid character in header name")
            }
            var valueStart = colon + 1
            var valueEnd = line.upperBound
            while valueStart < valueEnd && buffer[valueStart].isOWS { valueStart += 1 }
            while valueEnd > valueStart && buffer[valueEnd - 1].isOWS { valueEnd -= 1 }
            for index in valueStart..<valueEnd where !buffer[index].isFieldValueChar {
                return (400, "invalid character in header value")
            }
            headers.fields.append(
                (
                    name: Self.asciiString(buffer[line.lowerBound..<colon]),
                    value: Self.fieldString(buffer[valueStart..<valueEnd])
                ))
        }
        let versionString = version!
        let isHTTP11 = versionString == "HTTP/1.1"

        let hosts = headers.values(for: "Host")
        if isHTTP11 && hosts.count != 1 {
            return (400, hosts.isEmpty ? "missing Host header" : "duplicate Host header")
        }

        // Framing. Anything ambiguous is refused rather than guessed: ambiguity is how requests get smuggled.
        let transferEncodings = headers.values(for: "Transfer-Encoding")
        let contentLengths = headers.values(for: "Content-Length")
        var framing = State.fixedBody(remaining: 0)
        if !transferEncodings.isEmpty {
            if !contentLengths.isEmpty { return (400, "both Content-Length and Transfer-Encoding") }
            if !isHTTP11 { return (400, "Transfer-Encoding in an HTTP/1.0 request") }
            if transferEncodings.count != 1 { return (400, "repeated Transfer-Encoding") }
            guard Self.equalsIgnoringCase(transferEncodings[0], "chunked") else {
                return (501, "unsupported Transfer-Encoding")
            }
            framing = .chunkSize
        } else if !contentLengths.isEmpty {
            var length: Int?
            for field in contentLengths {
                for item in field.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
                    guard let value = Self.parseDecimal(item) else { return (400, "invalid Content-Length") }
                    if let length, length != value { return (400, "conflicting Content-Length values") }
                    length = value
                }
            }
            if length! > limits.maxBodyBytes { return (413, "body exceeds \(limits.maxBodyBytes) bytes") }
            framing = .fixedBody(remaining: length!)
            body.reserveCapacity(length!)  // bounded by maxBodyBytes just above
        }

        var hasBody = true
        if case .fixedBody(0) = framing { hasBody = false }
        if isHTTP11, hasBody, let expect = headers["Expect"], Self.equalsIgnoringCase(expect, "100-continue") {
            expectsContinue = true
        }
        head = Head(method: method, target: target, version: versionString, headers: headers)
        state = framing
        return nil
    }

    /// `method SP request-target SP HTTP-version`; version is nil for a well-formed but unsupported one.
    private func parseRequestLine(_ line: Range<Int>) -> (String, String, String?)? {
        guard let firstSpace = buffer[line].firstIndex(of: .space), firstSpace > line.lowerBound else { return nil }
        for index in line.lowerBound..<firstSpace where !buffer[index].isTokenChar { return nil }
        let targetStart = firstSpace + 1
        guard let secondSpace = buffer[targetStart..<line.upperBound].firstIndex(of: .space), secondSpace > targetStart
        else { return nil }
        for index in targetStart..<secondSpace where !(0x21...0x7E).contains(buffer[index]) { return nil }
        let version = buffer[(secondSpace + 1)..<line.upperBound]
        guard version.count == 8, version.starts(with: "HTTP/".utf8),
            version[version.startIndex + 5].isDigit, version[version.startIndex + 6] == UInt8(ascii: "."),
            version[version.startIndex + 7].isDigit
        else { return nil }
        let versionString = Self.asciiString(version)
        let method = Self.asciiString(buffer[line.lowerBound..<firstSpace])
        let target = Self.asciiString(buffer[targetStart..<secondSpace])
        guard versionString == "HTTP/1.1" || versionString == "HTTP/1.0" else { return (method, target, nil) }
        return (method, target, versionString)
    }

    // MARK: - Body helpers

    private struct LineEnd {
        var contentEnd: Int
        var next: Int
    }

    /// The end of the line starting at `start`, looking at most `limit` + 2 bytes ahead (content plus CRLF).
    private func findLineEnd(limit: Int) -> LineEnd? {
        let end = min(buffer.count, start + max(limit, 0) + 2)
        guard let lf = buffer[start..<end].firstIndex(of: .lf) else { return nil }
        let contentEnd = lf > start && buffer[lf - 1] == .cr ? lf - 1 : lf
        return LineEnd(contentEnd: contentEnd, next: lf + 1)
    }

    /// `1*HEXDIG [BWS] [; chunk-ext]`; extensions are ignored.
    private func parseChunkSize(_ line: Range<Int>) -> Int? {
        var index = line.lowerBound
        var size = 0
        var digits = 0
        while index < line.upperBound, let digit = buffer[index].hexValue {
            if size > (Int.max >> 4) { return nil }
            size = size << 4 | Int(digit)
            digits += 1
            index += 1
        }
        guard digits > 0 else { return nil }
        while index < line.upperBound && buffer[index].isOWS { index += 1 }
        if index < line.upperBound && buffer[index] != UInt8(ascii: ";") { return nil }
        for i in index..<line.upperBound where !buffer[i].isFieldValueChar { return nil }
        return size
    }

    private mutating func finish() -> Event {
        let head = self.head!
        self.head = nil
        state = .head
        expectsContinue = false
        let request = HTTPRequest(
            method: head.method, target: head.target, version: head.version, headers: head.headers, body: body,
            remoteAddress: remoteAddress)
        body = []
        return .request(request)
    }

    private mutating func fail(_ status: Int, _ reason: String) -> Event {
        failure = (status, reason)
        return .failure(status: status, reason: reason)
    }

    // MARK: - Byte helpers

    static func asciiString(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// Field values are UTF-8 when valid; otherwise each byte is taken as Latin-1 (obs-text) so no byte is lost.
    static func fieldString(_ bytes: ArraySlice<UInt8>) -> String {
        if let string = String(validating: bytes, as: UTF8.self) { return string }
        var scalars = String.UnicodeScalarView()
        for byte in bytes { scalars.append(Unicode.Scalar(byte)) }
        return String(scalars)
    }

    static func parseDecimal<Bytes: BidirectionalCollection>(_ raw: Bytes) -> Int? where Bytes.Element == UInt8 {
        let bytes = raw[...].trimmingSpacesAndTabs()
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var value = 0
        for byte in bytes {
            guard byte.isDigit else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    static func equalsIgnoringCase(_ a: String, _ b: String) -> Bool { HTTPHeaders.namesEqual(a, b) }
}

extension UInt8 {
    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let colon = UInt8(ascii: ":")

    var isDigit: Bool { self >= 0x30 && self <= 0x39 }
    var isOWS: Bool { self == .space || self == .tab }

    var hexValue: UInt8? {
        switch self {
        case 0x30...0x39: self - 0x30
        case 0x41...0x46: self - 0x41 + 10
        case 0x61...0x66: self - 0x61 + 10
        default: nil
        }
    }

    /// RFC 9110 `tchar`.
    var isTokenChar: Bool {
        switch self {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default: false
        }
    }

    /// Field-value bytes: VCHAR, SP, HTAB and obs-text. CR, LF, NUL and other controls are refused.
    var isFieldValueChar: Bool { self == .tab || (self >= 0x20 && self != 0x7F) }
}
