/// An IPv4 or IPv6 CIDR block as written in `IpAddress` / `NotIpAddress` conditions.
///
/// A plain address is a /32 (IPv4) or /128 (IPv6) block. The two families never match each
/// other: IAM does not treat `::ffff:a.b.c.d` as the IPv4 address.
struct IPAddressRange: Equatable, Sendable {
    /// Network bytes: 4 for IPv4, 16 for IPv6.
    var bytes: [UInt8]
    var prefixLength: Int

    /// Parses `a.b.c.d[/n]` or an RFC 4291 textual IPv6 address `[/n]`; nil when malformed.
    init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddressRange.parseAddress(String(parts[0])) else { return nil }
        let maximum = address.count * 8
        if parts.count == 2 {
            guard let n = IPAddressRange.parseDecimal(parts[1], maximum: maximum) else { return nil }
            prefixLength = n
        } else {
            prefixLength = maximum
        }
        bytes = address
    }

    /// Whether `address` (a plain address, 4 or 16 bytes) lies in this block.
    func contains(_ address: [UInt8]) -> Bool {
        guard address.count == bytes.count else { return false }
        var remaining = prefixLength
        for i in 0..<bytes.count where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if address[i] & mask != bytes[i] & mask { return false }
            remaining -= bits
        }
        return true
    }

    /// Parses a plain IPv4 or IPv6 address into 4 or 16 bytes.
    static func parseAddress(_ text: String) -> [UInt8]? {
        text.contains(":") ? parseIPv6(text) : parseIPv4(Substring(text))
    }

    private static func parseDecimal(_ text: Substring, maximum: Int) -> Int? {
        // Digits only (no sign, no spaces) and no leading zeros, so `010` is not read as octal or
        // decimal ambiguously.
        guard !text.isEmpty, text.count <= 3, text.allSatisfy({ $0.isASCII && $0.isNumber }),
            text == "0" || !text.hasPrefix("0"), let n = Int(text), n <= maximum
        else { return nil }
        return n
    }

    private static func parseIPv4(_ text: Substring) -> [UInt8]? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var out: [UInt8] = []
        for octet in octets {
            guard let n = parseDecimal(octet, maximum: 255) else { return nil }
            out.append(UInt8(n))
        }
        return out
    }

    private static func parseIPv6(_ text: String) -> [UInt8]? {
        // Split around a single `::`, parse each side's groups, and fill the gap with zeros.
        let halves = text.components(separatedByString: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ s: String, allowIPv4Tail: Bool) -> [UInt8]? {
            if s.isEmpty { return [] }
            let items = s.split(separator: ":", omittingEmptySubsequences: false)
            var out: [UInt8] = []
            for (i, item) in items.enumerated() {
                if allowIPv4Tail, i == items.count - 1, item.contains(".") {
                    guard let v4 = parseIPv4(item) else { return nil }
                    out += v4
                    continue
                }
                guard (1...4).contains(item.count), let n = UInt16(item, radix: 16),
                    item.allSatisfy(\.isHexDigit)
                else { return nil }
                out += [UInt8(n >> 8), UInt8(n & 0xFF)]
            }
            return out
        }
        if halves.count == 1 {
            guard let all = groups(halves[0], allowIPv4Tail: true), all.count == 16 else { return nil }
            return all
        }
        guard let head = groups(halves[0], allowIPv4Tail: false),
            let tail = groups(halves[1], allowIPv4Tail: true), head.count + tail.count <= 14
        else { return nil }
        return head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
    }
}

extension String {
    /// Splits on a multi-character separator without Foundation.
    fileprivate func components(separatedByString separator: String) -> [String] {
        var result: [String] = []
        var rest = self[...]
        while let range = rest.firstRange(of: separator) {
            result.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        result.append(String(rest))
        return result
    }
}
