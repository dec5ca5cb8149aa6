import AnchorageHTTP

extension AnchorageService {
    /// `SignedRequest.header("content-type")` without lowercasing every header name: the values of every
    /// `Content-Type` field (ASCII case-insensitive), each trimmed of spaces and tabs, joined with `,`.
    static func contentType(_ headers: HTTPHeaders) -> String? {
        var found: String?
        for value in headers.values(for: "content-type") {
            var trimmed = Substring(value)
            while let first = trimmed.first, first == " " || first == "\t" { trimmed.removeFirst() }
            while let last = trimmed.last, last == " " || last == "\t" { trimmed.removeLast() }
            found = found.map { $0 + "," + trimmed } ?? String(trimmed)
        }
        return found
    }
}

extension AnchorageService {
    /// Whether the media type of a `Content-Type` value (its first non-empty `;`-separated part, spaces and
    /// tabs trimmed, case ignored) is `application/json` or `application/x-amz-json-1.0`/`-1.1`.
    ///
    /// Compares bytes with ASCII case folding: the accepted names are ASCII, and no non-ASCII character
    /// lowercases to one of their letters, so this is `lowercased()` equality without the allocations.
    static func isJSONMediaType(_ value: String) -> Bool {
        guard value.utf8.allSatisfy({ $0 < 0x80 }) else {
            // Grapheme clusters (a `;` or space with a combining mark) decide splitting and trimming here.
            let mediaType =
                value.split(separator: ";").first.map { part in
                    var s = part
                    while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
                    while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
                    return s.lowercased()
                } ?? ""
            return mediaType == "application/json" || mediaType == "application/x-amz-json-1.0"
                || mediaType == "application/x-amz-json-1.1"
        }
        var utf8 = Substring(value).utf8
        // `split(separator: ";").first`: leading empty parts are skipped.
        while utf8.first == UInt8(ascii: ";") { utf8 = utf8.dropFirst() }
        if let semicolon = utf8.firstIndex(of: UInt8(ascii: ";")) { utf8 = utf8[..<semicolon] }
        while let first = utf8.first, first == 0x20 || first == 0x09 { utf8 = utf8.dropFirst() }
        while let last = utf8.last, last == 0x20 || last == 0x09 { utf8 = utf8.dropLast() }
        func equals(_ name: StaticString) -> Bool {
            guard utf8.count == name.utf8CodeUnitCount else { return false }
            return name.withUTF8Buffer { expected in
                zip(utf8, expected).allSatisfy { a, b in
                    (a >= UInt8(ascii: "A") && a <= UInt8(ascii: "Z") ? a | 0x20 : a) == b
                }
            }
        }
        return equals("application/json") || equals("application/x-amz-json-1.0")
            || equals("application/x-amz-json-1.1")
    }
}
