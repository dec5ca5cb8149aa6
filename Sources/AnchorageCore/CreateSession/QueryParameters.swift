/// Decodes `application/x-www-form-urlencoded`-style query strings.
public enum QueryParameters {
    /// Name/value pairs of `raw` in order; `%XX` decoded, `+` decoded as a space (form encoding).
    /// Nil when an escape is malformed or the result is not UTF-8.
    public static func parse(_ raw: String?, plusAsSpace: Bool = true) -> [(name: String, value: String)]? {
        guard let raw, !raw.isEmpty else { return [] }
        var out: [(name: String, value: String)] = []
        for pair in raw.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = percentDecode(parts[0], plusAsSpace: plusAsSpace) else { return nil }
            let value = parts.count > 1 ? percentDecode(parts[1], plusAsSpace: plusAsSpace) : ""
            guard let value else { return nil }
            out.append((name, value))
        }
        return out
    }

    /// Percent-decodes `text`; nil on a malformed escape or invalid UTF-8.
    public static func percentDecode(_ text: Substring, plusAsSpace: Bool) -> String? {
        var bytes: [UInt8] = []
        let utf8 = Array(text.utf8)
        var index = 0
        while index < utf8.count {
            let c = utf8[index]
            if c == UInt8(ascii: "%") {
                guard index + 3 <= utf8.count,
                    let byte = hexByte(utf8[index + 1], utf8[index + 2])
                else { return nil }
                bytes.append(byte)
                index += 3
            } else if c == UInt8(ascii: "+") && plusAsSpace {
                bytes.append(0x20)
                index += 1
            } else {
                bytes.append(c)
                index += 1
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexByte(_ a: UInt8, _ b: UInt8) -> UInt8? {
        guard let high = hexValue(a), let low = hexValue(b) else { return nil }
        return high << 4 | low
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
