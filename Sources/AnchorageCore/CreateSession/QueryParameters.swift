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

    /// Percent-decodes `text` (``PercentEncoding``, refusing malformed escapes); nil on a malformed
    /// escape or invalid UTF-8.
    public static func percentDecode(_ text: Substring, plusAsSpace: Bool) -> String? {
        guard let bytes = PercentEncoding.decode(text.utf8, plusAsSpace: plusAsSpace, refusingMalformedEscapes: true)
        else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }
}

extension QueryParameters {
    /// `text` percent-encoded as IAM returns policy documents (every byte but `A-Z a-z 0-9 - _ . ~` as `%XX`);
    /// ``percentDecode(_:plusAsSpace:)`` reverses it.
    public static func percentEncode(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count * 2)
        PercentEncoding.encode(text.utf8, into: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
