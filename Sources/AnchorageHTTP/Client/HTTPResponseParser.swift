/// Incremental HTTP/1.1 response decoder: the only reader of server answers in the client.
///
/// The client's counterpart of `HTTPRequestParser`, and as strict, because the server may be hostile
/// (the credential helper writes what it answers into `~/.aws/credentials`). Bytes are appended as they
/// arrive; `next(method:endOfStream:)` yields a complete answer, `needMore`, or a sticky failure.
/// Every limit of `HTTPResponseLimits` is enforced before the bytes that would exceed it are kept,
/// lengths are digits only (no sign, no overflow), and line scanning resumes where it stopped, so an
/// answer trickled one byte at a time still costs linear time.
///
/// Failure messages are fixed texts: nothing the server sent is echoed into them, so no escape
/// sequence or newline of its choosing reaches a terminal or log.
struct HTTPResponseParser {
    enum Event {
        case response(HTTPResponse)
        case needMore
        case failure(String)
    }

    private enum State {
        case head
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
    }

    private enum Line {
        case line(Range<Int>)
        case needMore
        case tooLong
    }

    /// Chunk-size lines (with extensions) longer than this are hostile.
    static let maxChunkLineBytes = 1024

    let limits: HTTPResponseLimits

    private var buffer: [UInt8] = []
    /// First byte not yet consumed.
    private var start = 0
    /// Bytes after `start` already searched for a line feed.
    private var scanOffset = 0
    private var state = State.head
    private var status: Int?
    private var headers = HTTPHeaders()
    /// Head bytes of the current answer so far: status lines and fields of interim answers included,
    /// then the trailers.
    private var headBytes = 0
    private var headerCount = 0
    private var interimCount = 0
    private var body: [UInt8] = []
    private var failure: String?
    /// Bytes examined while looking for line ends, for tests of linear time.
    private(set) var bytesScanned = 0

    init(limits: HTTPResponseLimits) {
        self.limits = limits
    }

    /// Bytes received but not consumed by a complete answer.
    var bufferedByteCount: Int { buffer.count - start }

    /// Adds bytes as they arrived.
    mutating func append<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        // Consumed bytes are dropped once they are most of the buffer, keeping appends amortised linear.
        if start > 0 && (start == buffer.count || (start >= 16 * 1024 && start * 2 >= buffer.count)) {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next event of the answer to a `method` request; `endOfStream` means the server closed, so
    /// an answer still incomplete is a failure (or, without framing, complete).
    mutating func next(method: String, endOfStream: Bool) -> Event {
        if let failure { return .failure(failure) }
        let event = step(method: method, endOfStream: endOfStream)
        if case .failure(let message) = event { failure = message }
        return event
    }

    // MARK: - States

    private mutating func step(method: String, endOfStream: Bool) -> Event {
        while true {
            switch state {
            case .head:
                switch nextLine(maxBytes: limits.maxHeaderBytes - headBytes) {
                case .needMore: return endOfStream ? .failure(Self.truncated) : .needMore
                case .tooLong: return .failure("the response's headers exceed \(limits.maxHeaderBytes) bytes")
                case .line(let line):
                    if let failure = headLine(line, method: method) { return .failure(failure) }
                }
            case .fixedBody(let remaining):
                let left = takeBody(upTo: remaining)
                if left == 0 { return complete() }
                state = .fixedBody(remaining: left)
                return endOfStream ? .failure(Self.truncated) : .needMore
            case .chunkSize:
                switch nextLine(maxBytes: Self.maxChunkLineBytes) {
                case .needMore: return endOfStream ? .failure(Self.truncated) : .needMore
                case .tooLong: return .failure("malformed chunk size")
                case .line(let line):
                    guard let size = Self.chunkSize(buffer[line]) else { return .failure("malformed chunk size") }
                    guard size <= limits.maxBodyBytes - body.count else { return bodyTooLarge }
                    state = size == 0 ? .trailers : .chunkData(remaining: size)
                }
            case .chunkData(let remaining):
                let left = takeBody(upTo: remaining)
                if left > 0 {
                    state = .chunkData(remaining: left)
                    return endOfStream ? .failure(Self.truncated) : .needMore
                }
                state = .chunkDataEnd
            case .chunkDataEnd:
                switch nextLine(maxBytes: 2) {
                case .needMore: return endOfStream ? .failure(Self.truncated) : .needMore
                case .tooLong: return .failure("chunk data not followed by CRLF")
                case .line(let line):
                    guard line.isEmpty else { return .failure("chunk data not followed by CRLF") }
                    state = .chunkSize
                }
            case .trailers:
                switch nextLine(maxBytes: limits.maxHeaderBytes - headBytes) {
                case .needMore: return endOfStream ? .failure(Self.truncated) : .needMore
                case .tooLong: return .failure("the response's headers exceed \(limits.maxHeaderBytes) bytes")
                case .line(let line):
                    if line.isEmpty { return complete() }
                    // Trailer fields are checked like header fields, counted, and not kept.
                    if case .failure(let failure) = field(line) { return .failure(failure.message) }
                }
            case .untilClose:
                guard bufferedByteCount <= limits.maxBodyBytes - body.count else { return bodyTooLarge }
                body.append(contentsOf: buffer[start...])
                start = buffer.count
                scanOffset = 0
                return endOfStream ? complete() : .needMore
            }
        }
    }

    private var bodyTooLarge: Event { .failure("the response's body exceeds \(limits.maxBodyBytes) bytes") }

    private static let truncated = "connection closed before a complete response"

    /// One line of a head: the status line, a field, or the blank line that ends the head.
    private mutating func headLine(_ line: Range<Int>, method: String) -> String? {
        guard let status else {
            guard let parsed = Self.statusCode(buffer[line]) else { return "malformed status line" }
            self.status = parsed
            return nil
        }
        guard line.isEmpty else {
            switch field(line) {
            case .success(let field):
                headers.add(name: field.name, value: field.value)
                return nil
            case .failure(let failure): return failure.message
            }
        }
        if (100..<200).contains(status) {
            // 101 would hand the connection to another protocol nobody asked for.
            guard status != 101 else { return "unexpected 101 Switching Protocols" }
            interimCount += 1
            guard interimCount <= limits.maxInterimResponses else {
                return "more than \(limits.maxInterimResponses) interim (1xx) responses"
            }
            self.status = nil
            headers = HTTPHeaders()
            return nil
        }
        return framing(status: status, method: method)
    }

    /// Picks the body's framing from the completed head. Framing fields are checked even on answers
    /// that have no body: an answer that frames itself two ways is refused, whatever was asked.
    private mutating func framing(status: Int, method: String) -> String? {
        let encodings = headers.values(for: "Transfer-Encoding")
        let lengths = headers.values(for: "Content-Length")
        var length: Int?
        if !encodings.isEmpty {
            guard lengths.isEmpty else { return "both Transfer-Encoding and Content-Length" }
            guard encodings.count == 1, HTTPHeaders.namesEqual(encodings[0], "chunked") else {
                return "unsupported Transfer-Encoding"
            }
        } else if !lengths.isEmpty {
            let parsed = lengths.map { HTTPRequestParser.parseDecimal(Array($0.utf8)) }
            guard let first = parsed[0], parsed.allSatisfy({ $0 == first }) else { return "malformed Content-Length" }
            length = first
        }
        if method == "HEAD" || status == 204 || status == 304 || (method == "CONNECT" && (200..<300).contains(status)) {
            state = .fixedBody(remaining: 0)
        } else if !encodings.isEmpty {
            state = .chunkSize
        } else if let length {
            guard length <= limits.maxBodyBytes else {
                return "the response's body exceeds \(limits.maxBodyBytes) bytes"
            }
            state = .fixedBody(remaining: length)
        } else {
            state = .untilClose
        }
        return nil
    }

    private struct FieldFailure: Error {
        var message: String
    }

    /// Parses `name: value`, counting it against the limits.
    private mutating func field(_ line: Range<Int>) -> Result<(name: String, value: String), FieldFailure> {
        headerCount += 1
        guard headerCount <= limits.maxHeaderCount else {
            return .failure(FieldFailure(message: "more than \(limits.maxHeaderCount) header fields"))
        }
        guard let colon = buffer[line].firstIndex(of: .colon), colon > line.lowerBound,
            buffer[line.lowerBound..<colon].allSatisfy(\.isTokenChar)
        else { return .failure(FieldFailure(message: "malformed header field")) }
        var value = colon + 1..<line.upperBound
        while let first = value.first, buffer[first].isOWS { value = value.dropFirst() }
        while let last = value.last, buffer[last].isOWS { value = value.dropLast() }
        guard buffer[value].allSatisfy(\.isFieldValueChar) else {
            return .failure(FieldFailure(message: "malformed header field"))
        }
        return .success(
            (
                name: HTTPRequestParser.asciiString(buffer[line.lowerBound..<colon]),
                value: HTTPRequestParser.fieldString(buffer[value])
            ))
    }

    /// Moves up to `remaining` buffered bytes into the body; returns how many are still to come.
    private mutating func takeBody(upTo remaining: Int) -> Int {
        let count = min(remaining, bufferedByteCount)
        body.append(contentsOf: buffer[start..<start + count])
        start += count
        scanOffset = 0
        return remaining - count
    }

    private mutating func complete() -> Event {
        let response = HTTPResponse(status: status ?? 0, headers: headers, body: body)
        state = .head
        status = nil
        headers = HTTPHeaders()
        headBytes = 0
        headerCount = 0
        interimCount = 0
        body = []
        return .response(response)
    }

    // MARK: - Lines

    /// The next line (without CRLF or LF) when it has arrived within `maxBytes` bytes, counted
    /// against the head when in a head or trailers.
    private mutating func nextLine(maxBytes: Int) -> Line {
        let from = start + scanOffset
        guard let lf = buffer[from...].firstIndex(of: .lf) else {
            bytesScanned += buffer.count - from
            scanOffset = bufferedByteCount
            return scanOffset > maxBytes ? .tooLong : .needMore
        }
        bytesScanned += lf + 1 - from
        let length = lf + 1 - start
        guard length <= maxBytes else { return .tooLong }
        let end = lf > start && buffer[lf - 1] == .cr ? lf - 1 : lf
        let line = start..<end
        switch state {
        case .head, .trailers: headBytes += length
        default: break
        }
        start = lf + 1
        scanOffset = 0
        return .line(line)
    }

    /// `HTTP/1.x NNN[ reason]` with a status of 100...599; the reason may hold no control character.
    static func statusCode(_ line: ArraySlice<UInt8>) -> Int? {
        let bytes = Array(line)
        guard bytes.count >= 12, bytes[0..<7].elementsEqual("HTTP/1.".utf8), bytes[7] == 0x30 || bytes[7] == 0x31,
            bytes[8] == .space, bytes[9...11].allSatisfy(\.isDigit), bytes.count == 12 || bytes[12] == .space,
            bytes.dropFirst(12).allSatisfy(\.isFieldValueChar)
        else { return nil }
        let status = bytes[9...11].reduce(0) { $0 * 10 + Int($1 - 0x30) }
        return (100...599).contains(status) ? status : nil
    }

    /// A chunk-size line: 1 to 8 hex digits, then optional whitespace and `;extensions`.
    static func chunkSize(_ line: ArraySlice<UInt8>) -> Int? {
        var size = 0
        var digits = 0
        var index = line.startIndex
        while index < line.endIndex, let value = line[index].hexValue {
            // Refused before the value could overflow.
            guard digits < 8 else { return nil }
            size = size * 16 + Int(value)
            digits += 1
            index += 1
        }
        guard digits > 0 else { return nil }
        while index < line.endIndex, line[index].isOWS { index += 1 }
        guard index == line.endIndex || line[index] == UInt8(ascii: ";") else { return nil }
        guard line[index...].allSatisfy(\.isFieldValueChar) else { return nil }
        return size
    }
}
