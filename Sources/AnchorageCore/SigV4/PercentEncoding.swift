import AnchorageCrypto

/// RFC 3986 percent-encoding as SigV4 canonicalisation needs it, on bytes rather than `String`
/// so that decoded sequences which are not valid UTF-8 survive unchanged into the re-encoding.
enum PercentEncoding {
    private static let upperHex: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// `A-Z a-z 0-9 - _ . ~`, the only bytes SigV4 leaves unencoded.
    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
            UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Appends `bytes` to `out`, encoding everything but the unreserved set (and `/` when asked)
    /// as `%XX` with uppercase hex.
    static func encode(_ bytes: some Sequence<UInt8>, keepingSlash: Bool = false, into out: inout [UInt8]) {
        for byte in bytes {
            if isUnreserved(byte) || (keepingSlash && byte == UInt8(ascii: "/")) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(upperHex[Int(byte >> 4)])
                out.append(upperHex[Int(byte & 0x0f)])
            }
        }
    }

    /// Decodes `%XX` (either case). A `%` not followed by two hex digits is kept literally, as
    /// Python's `unquote` does, so such input still canonicalises (to `%25`) instead of failing.
    /// `+` is not special: SigV4 query canonicalisation treats it as a literal plus.
    static func decode(_ bytes: some Collection<UInt8>) -> [UInt8] {
        // Never nil: a malformed escape is kept rather than refused.
        decode(bytes, plusAsSpace: false, refusingMalformedEscapes: false) ?? []
    }

    /// The one percent-decoder: `%XX` (either case) becomes the byte, `+` a space when `plusAsSpace`
    /// (form encoding). A `%` not followed by two hex digits makes the result nil when
    /// `refusingMalformedEscapes`, and is otherwise kept literally.
    static func decode(_ bytes: some Collection<UInt8>, plusAsSpace: Bool, refusingMalformedEscapes: Bool)
        -> [UInt8]?
    {
        let input = Array(bytes)
        var out = [UInt8]()
        out.reserveCapacity(input.count)
        var index = 0
        while index < input.count {
            let byte = input[index]
            if byte == UInt8(ascii: "%") {
                if index + 2 < input.count, let high = Hex.digitValue(input[index + 1]),
                    let low = Hex.digitValue(input[index + 2])
                {
                    out.append(high << 4 | low)
                    index += 3
                    continue
                }
                if refusingMalformedEscapes { return nil }
                out.append(byte)
            } else if byte == UInt8(ascii: "+") && plusAsSpace {
                out.append(UInt8(ascii: " "))
            } else {
                out.append(byte)
            }
            index += 1
        }
        return out
    }
}
