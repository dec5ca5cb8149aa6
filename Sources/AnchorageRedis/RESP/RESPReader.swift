/// Reads RESP2 replies from a byte stream that arrives in pieces.
///
/// Pure and incremental: ``append(_:)`` what the socket gave, then call ``next()`` until it answers nil
/// (a reply is incomplete). Bounded by ``RESPLimits``: a length or count over a limit is refused as soon
/// as its header is read, before any of its bytes are buffered. A failure is sticky: the stream has lost
/// its framing, so the connection must be closed (every later call throws the same error).
public struct RESPReader: Sendable {
    public let limits: RESPLimits
    private var buffer: [UInt8] = []
    /// Where the next reply starts in ``buffer``.
    private var start = 0
    private var failure: RESPError?
    /// Values (replies and their elements) looked at so far, complete or not: a reply that arrives in pieces must
    /// cost its size once, not once per piece (a slow or hostile server must not make the client's thread spin).
    private(set) var elementsExamined = 0
    /// Where the completeness scan of the reply at `start` resumes (an index into `buffer`), and how many elements
    /// each array it is inside still expects, innermost last: the scan goes over each element once.
    private var scanned = 0
    private var openArrays: [Int64] = []

    public init(limits: RESPLimits = .standard) { self.limits = limits }

    /// Bytes received and not yet consumed by a complete reply.
    public var bufferedByteCount: Int { buffer.count - start }

    /// Appends bytes received from the server.
    public mutating func append<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        if start > 0, start >= buffer.count / 2 {
            buffer.removeSubrange(0..<start)
            scanned -= start
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete reply, or nil when more bytes are needed.
    public mutating func next() throws(RESPError) -> RESPValue? {
        if let failure { throw failure }
        do throws(RESPError) {
            // The reply is read within a window of `maxReplyBytes`: a reply that would need more is refused
            // at the same byte however the stream was cut (an error past the window is never reached first).
            let end = min(buffer.count, start + limits.maxReplyBytes)
            // The values are built only once the scan found the whole reply: a reply arriving in many pieces is
            // not parsed again from its start at every piece.
            guard try scan(end: end) else {
                guard end - start < limits.maxReplyBytes else {
                    throw RESPError(.replyTooLarge, "a reply of more than \(limits.maxReplyBytes) bytes")
                }
                return nil
            }
            var cursor = start
            var steps = 0
            defer { elementsExamined += steps }
            guard let value = try parse(&cursor, depth: 0, end: end, steps: &steps) else { return nil }
            start = cursor
            scanned = cursor
            openArrays.removeAll(keepingCapacity: true)
            return value
        } catch {
            failure = error
            throw error
        }
    }

    /// The server closed the stream: throws ``RESPError/Code/truncated`` when it ended inside a reply.
    public mutating func finish() throws(RESPError) {
        if let failure { throw failure }
        if buffer.count > start {
            let error = RESPError(.truncated, "the stream ended \(buffer.count - start) byte(s) into a reply")
            failure = error
            throw error
        }
    }

    // MARK: - Parsing

    /// Advances the scan over the elements buffered before `end`, checking each header as ``parse`` does; true
    /// once the reply at `start` is complete. An element is scanned again only while it is incomplete.
    private mutating func scan(end: Int) throws(RESPError) -> Bool {
        while scanned < end {
            elementsExamined += 1
            let type = buffer[scanned]
            var position = scanned + 1
            switch type {
            case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":"):
                guard let line = try line(&position, end: end) else { return false }
                if type == UInt8(ascii: ":") { _ = try Self.integer(buffer[line]) }
            case UInt8(ascii: "$"):
                guard let line = try line(&position, end: end) else { return false }
                let length = try Self.integer(buffer[line])
                if length != -1 {
                    guard length >= 0 else { throw RESPError(.badNumber, "bulk string length \(length)") }
                    guard length <= limits.maxBulkBytes else {
                        throw RESPError(.tooLong, "bulk string of \(length) bytes (limit \(limits.maxBulkBytes))")
                    }
                    let stop = position + Int(length)
                    guard stop + 2 <= end else { return false }
                    guard buffer[stop] == 13, buffer[stop + 1] == 10 else {
                        throw RESPError(.badFraming, "bulk string not followed by CR LF")
                    }
                    position = stop + 2
                }
            case UInt8(ascii: "*"):
                guard let line = try line(&position, end: end) else { return false }
                let count = try Self.integer(buffer[line])
                if count != -1 {
                    guard count >= 0 else { throw RESPError(.badNumber, "array count \(count)") }
                    guard count <= limits.maxArrayCount else {
                        throw RESPError(.tooLong, "array of \(count) elements (limit \(limits.maxArrayCount))")
                    }
                    guard openArrays.count + 1 <= limits.maxDepth else {
                        throw RESPError(.tooDeep, "arrays nested deeper than \(limits.maxDepth)")
                    }
                    if count > 0 {
                        scanned = position
                        openArrays.append(count)
                        continue
                    }
                }
            default:
                throw RESPError(.unknownType, "type byte 0x\(String(type, radix: 16))")
            }
            scanned = position
            // An element is complete, and with it every array it was the last element of.
            while let left = openArrays.last {
                if left > 1 {
                    openArrays[openArrays.count - 1] = left - 1
                    break
                }
                openArrays.removeLast()
            }
            if openArrays.isEmpty { return true }
        }
        return false
    }

    private func parse(_ cursor: inout Int, depth: Int, end: Int, steps: inout Int) throws(RESPError) -> RESPValue? {
        guard cursor < end else { return nil }
        steps += 1
        let type = buffer[cursor]
        var position = cursor + 1
        switch type {
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard let line = try line(&position, end: end) else { return nil }
            let text = String(decoding: buffer[line], as: UTF8.self)
            cursor = position
            return type == UInt8(ascii: "+") ? .simpleString(text) : .error(text)
        case UInt8(ascii: ":"):
            guard let line = try line(&position, end: end) else { return nil }
            let value = try Self.integer(buffer[line])
            cursor = position
            return .integer(value)
        case UInt8(ascii: "$"):
            guard let line = try line(&position, end: end) else { return nil }
            let length = try Self.integer(buffer[line])
            if length == -1 {
                cursor = position
                return .bulkString(nil)
            }
            guard length >= 0 else { throw RESPError(.badNumber, "bulk string length \(length)") }
            guard length <= limits.maxBulkBytes else {
                throw RESPError(.tooLong, "bulk string of \(length) bytes (limit \(limits.maxBulkBytes))")
            }
            let stop = position + Int(length)
            guard stop + 2 <= end else { return nil }
            guard buffer[stop] == 13, buffer[stop + 1] == 10 else {
                throw RESPError(.badFraming, "bulk string not followed by CR LF")
            }
            cursor = stop + 2
            return .bulkString(Array(buffer[position..<stop]))
        case UInt8(ascii: "*"):
            guard let line = try line(&position, end: end) else { return nil }
            let count = try Self.integer(buffer[line])
            if count == -1 {
                cursor = position
                return .array(nil)
            }
            guard count >= 0 else { throw RESPError(.badNumber, "array count \(count)") }
            guard count <= limits.maxArrayCount else {
                throw RESPError(.tooLong, "array of \(count) elements (limit \(limits.maxArrayCount))")
            }
            guard depth + 1 <= limits.maxDepth else {
                throw RESPError(.tooDeep, "arrays nested deeper than \(limits.maxDepth)")
            }
            // Each element takes at least 3 bytes: do not reserve for a count the bytes cannot hold yet.
            var elements: [RESPValue] = []
            elements.reserveCapacity(min(Int(count), (end - position) / 3 + 1))
            for _ in 0..<count {
                guard let element = try parse(&position, depth: depth + 1, end: end, steps: &steps) else {
                    return nil
                }
                elements.append(element)
            }
            cursor = position
            return .array(elements)
        default:
            throw RESPError(.unknownType, "type byte 0x\(String(type, radix: 16))")
        }
    }

    /// The bytes of the line at `position` (without CR LF), moving `position` past it; nil when incomplete
    /// before `end`.
    private func line(_ position: inout Int, end: Int) throws(RESPError) -> Range<Int>? {
        let lineStart = position
        var index = position
        // At most `maxLineBytes + 1` bytes are looked at: a line with no CR among them is too long, decided on
        // the same bytes however the stream was cut.
        let limit = min(end, lineStart + limits.maxLineBytes + 1)
        while index < limit {
            let byte = buffer[index]
            if byte == 13 {
                guard index + 1 < end else { return nil }
                guard buffer[index + 1] == 10 else { throw RESPError(.badFraming, "CR without LF in a line") }
                position = index + 2
                return lineStart..<index
            }
            if byte == 10 { throw RESPError(.badFraming, "LF without CR in a line") }
            index += 1
        }
        if index - lineStart == limits.maxLineBytes + 1 {
            throw RESPError(.tooLong, "a line longer than \(limits.maxLineBytes) bytes")
        }
        return nil
    }

    /// `-?[0-9]+` within Int64.
    static func integer(_ bytes: ArraySlice<UInt8>) throws(RESPError) -> Int64 {
        var digits = bytes[...]
        let negative = digits.first == UInt8(ascii: "-")
        if negative { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.count <= 19 else { throw RESPError(.badNumber, "not an integer") }
        var value: Int64 = 0
        for byte in digits {
            guard byte >= 0x30, byte <= 0x39 else { throw RESPError(.badNumber, "not an integer") }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int64(byte - 0x30))
            guard !overflow1, !overflow2 else { throw RESPError(.badNumber, "integer out of range") }
            value = sum
        }
        return negative ? -value : value
    }
}
