// RESP2 reply reader of the Redis client (Sources/AnchorageRedis/RESP/RESPReader.swift): the one reader of
// what Redis (or whatever answers on its port) sends to `serve --shared-state`.
//
// Input: byte 0 picks the limits, byte 1 the segmentation, the rest is the byte stream the server sends
// (then it closes).
// Invariants beyond "no crash":
//  - the same stream gives the same replies and the same failure whether it arrives at once or in 1-8 byte
//    segments;
//  - no bulk string over maxBulkBytes, no array over maxArrayCount elements or deeper than maxDepth;
//  - every reply written back by RESPWriter reads back to the same reply, consuming exactly its bytes;
//  - failures are sticky: after one, no reply comes out, even of valid bytes;
//  - a stream that ends inside a reply is `truncated` (or an earlier failure), never a reply.
@testable import AnchorageRedis

private enum Outcome: Equatable {
    case value(RESPValue)
    case failure(RESPError.Code)
}

private func run(_ stream: [UInt8], limits: RESPLimits, segments: [Int]?) -> [Outcome] {
    var reader = RESPReader(limits: limits)
    var outcomes: [Outcome] = []
    var index = 0
    var segment = 0
    do {
        while index < stream.count {
            let length = segments.map { $0[segment % $0.count] } ?? stream.count
            segment += 1
            let end = min(stream.count, index + length)
            reader.append(stream[index..<end])
            index = end
            while let value = try reader.next() { outcomes.append(.value(value)) }
        }
        try reader.finish()
    } catch {
        outcomes.append(.failure(error.code))
        reader.append(Array("+OK\r\n".utf8))
        if (try? reader.next()) != nil { fuzzCheck(false, "a reply read after a failure") }
    }
    return outcomes
}

private func checkLimits(_ value: RESPValue, _ limits: RESPLimits, depth: Int = 0) {
    switch value {
    case .bulkString(let bytes?):
        fuzzCheck(bytes.count <= limits.maxBulkBytes, "bulk string of \(bytes.count) bytes")
    case .array(let elements?):
        fuzzCheck(depth + 1 <= limits.maxDepth, "nested \(depth + 1) deep")
        fuzzCheck(elements.count <= limits.maxArrayCount, "array of \(elements.count)")
        for element in elements { checkLimits(element, limits, depth: depth + 1) }
    default: break
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let shape = input.byte()
    let split = input.byte()
    let stream = input.rest()
    let limits = RESPLimits(
        maxBulkBytes: [4, 64, 1 << 20][Int(shape & 3) % 3], maxLineBytes: [8, 64 * 1024][Int(shape >> 2 & 1)],
        maxArrayCount: [3, 1 << 20][Int(shape >> 3 & 1)], maxDepth: [1, 2, 8, 64][Int(shape >> 4 & 3)],
        maxReplyBytes: [32, 64 << 20][Int(shape >> 6 & 1)])

    let whole = run(stream, limits: limits, segments: nil)
    let sizes = (0..<8).map { 1 + Int((split >> UInt8($0 % 8)) & 7) }
    let pieces = run(stream, limits: limits, segments: sizes)
    fuzzCheck(whole == pieces, "whole \(whole) vs pieces \(pieces)")

    for outcome in whole {
        guard case .value(let value) = outcome else { continue }
        checkLimits(value, limits)
        let bytes = RESPWriter.encode(reply: value)
        var again = RESPReader(limits: RESPLimits(maxBulkBytes: 1 << 30, maxDepth: 1000, maxReplyBytes: 1 << 30))
        again.append(bytes)
        let reread = try? again.next()
        fuzzCheck(reread == value, "written back, \(value) reads as \(String(describing: reread))")
        fuzzCheck(again.bufferedByteCount == 0, "written back, \(value) left bytes behind")
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
    // Byte 0xFE: 1 MiB bulk, long lines, big arrays, depth 64, 64 MiB replies; byte 1: mixed segments.
    let standard: [UInt8] = [0xFE, 0x5B]
    let seeds: [(String, String)] = [
        ("admitted", ":0\r\n"),
        ("script-missing", "-NOSCRIPT No matching script. Please use EVAL.\r\n"),
        ("version", "$2\r\n17\r\n"),
        ("no-version", "$-1\r\n"),
        ("revocations", "*4\r\n$8\r\nr-0a1b2c\r\n$23\r\n{\"id\":\"r-0a1b2c\",\"x\":1}\r\n$2\r\nr2\r\n$0\r\n\r\n"),
        ("exec", "*3\r\n:1\r\n:7\r\n:0\r\n+OK\r\n+QUEUED\r\n"),
        ("nested", "*2\r\n*1\r\n*-1\r\n*0\r\n"),
        ("resp3-map", "%1\r\n+a\r\n:1\r\n"),
        ("truncated-bulk", "$10\r\nabc"),
        ("bad-length", "$-7\r\n"),
    ]
    for (name, text) in seeds { fuzzWriteSeed(directory, name, standard + Array(text.utf8)) }
}
