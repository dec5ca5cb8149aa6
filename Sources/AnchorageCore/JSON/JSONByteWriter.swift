/// Appends compact JSON straight to a byte buffer, for the documents the request path writes on every
/// request (the CreateSession answer, the audit line, the session-token claims) without first building
/// a ``JSONValue`` tree.
///
/// The output is byte-for-byte what ``JSONWriter`` produces for the equivalent tree: members in call
/// order, no whitespace, and the same string escapes (`\"`, `\\`, `\n`, `\r`, `\t`, `\u00XX` for other
/// control characters; everything else, non-ASCII included, verbatim).
public struct JSONByteWriter {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8]
    /// Whether the next member or element needs a separating comma (one flag per open container).
    private var needsComma: [Bool] = []
    private var depth = 0

    /// An empty writer whose buffer starts with room for `capacity` bytes.
    public init(capacity: Int = 512) {
        bytes = []
        bytes.reserveCapacity(capacity)
        needsComma.reserveCapacity(4)
    }

    // MARK: - Containers

    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        open()
    }

    public mutating func endObject() {
        close()
        bytes.append(UInt8(ascii: "}"))
    }

    public mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        open()
    }

    public mutating func endArray() {
        close()
        bytes.append(UInt8(ascii: "]"))
    }

    /// Writes `"key":` inside an object; the value written next belongs to it.
    public mutating func key(_ key: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        // Literal keys in this code base need no escaping; checked in debug builds.
        key.withUTF8Buffer { buffer in
            assert(!buffer.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") })
            bytes.append(contentsOf: buffer)
        }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        // The value follows the colon without a comma.
        if depth > 0 { needsComma[depth - 1] = false }
    }

    // MARK: - Scalars

    public mutating func string(_ value: String) {
        separate()
        Self.appendQuoted(value, to: &bytes)
    }

    public mutating func string(_ value: String?) {
        if let value { string(value) } else { null() }
    }

    public mutating func null() {
        separate()
        bytes.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])  // null
    }

    public mutating func integer<I: BinaryInteger>(_ value: I) {
        separate()
        Self.appendDecimal(value, to: &bytes)
    }

    // MARK: - Shortcuts

    public mutating func member(_ name: StaticString, _ value: String) {
        key(name)
        string(value)
    }

    public mutating func member(_ name: StaticString, _ value: String?) {
        key(name)
        string(value)
    }

    // MARK: - Internals

    private mutating func open() {
        if needsComma.count > depth { needsComma[depth] = false } else { needsComma.append(false) }
        depth += 1
    }

    private mutating func close() {
        depth -= 1
        // The container itself was a value of its parent.
        if depth > 0 { needsComma[depth - 1] = true }
    }

    private mutating func separate() {
        guard depth > 0 else { return }
        if needsComma[depth - 1] { bytes.append(UInt8(ascii: ",")) }
        needsComma[depth - 1] = true
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends `value` as a JSON string literal, copying runs that need no escape in bulk.
    public static func appendQuoted(_ value: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in appendEscaped(utf8, to: &out) }
        out.append(UInt8(ascii: "\""))
    }

    static func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        var start = 0
        var index = 0
        let count = utf8.count
        while index < count {
            // Eight bytes at a time while none needs escaping: tokens and keys are long runs of plain ASCII.
            if let base = UnsafeRawPointer(utf8.baseAddress) {
                while index + 8 <= count, !needsEscaping(base.loadUnaligned(fromByteOffset: index, as: UInt64.self)) {
                    index += 8
                }
                if index == count { break }
            }
            let byte = utf8[index]
            if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") {
                index += 1
                continue
            }
            if index > start { out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index])) }
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            default:
                out.append(contentsOf: [
                    0x5C, UInt8(ascii: "u"), 0x30, 0x30, hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)],
                ])
            }
            index += 1
            start = index
        }
        if count > start { out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<count])) }
    }

    /// Whether any of the eight bytes of `word` is a control byte, `"` or `\\` (exact for "any"; which byte is
    /// left to the byte loop).
    @inline(__always)
    private static func needsEscaping(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let control = (word &- ones &* 0x20) & ~word & highs
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let zeroes = ((quote &- ones) & ~quote | (backslash &- ones) & ~backslash) & highs
        return control | zeroes != 0
    }

    /// Appends the decimal digits of `value` (with a leading `-` when negative), as `String(value)` spells it.
    public static func appendDecimal<I: BinaryInteger>(_ value: I, to out: inout [UInt8]) {
        if value == 0 {
            out.append(UInt8(ascii: "0"))
            return
        }
        guard let magnitude = UInt64(exactly: value.magnitude) else {
            out.append(contentsOf: String(value).utf8)
            return
        }
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for 20 digits
        var n = magnitude
        var length = 0
        withUnsafeMutableBytes(of: &digits) { raw in
            while n > 0 {
                raw[23 - length] = UInt8(truncatingIfNeeded: n % 10) + UInt8(ascii: "0")
                n /= 10
                length += 1
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[(24 - length)...]))
        }
    }
}
