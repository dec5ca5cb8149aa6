import AnchorageBasics

extension AnchorageService {
    /// Whether the media type of a `Content-Type` value (its first non-empty `;`-separated part, spaces and
    /// tabs trimmed, ASCII case ignored) is `application/json` or `application/x-amz-json-1.0`/`-1.1`.
    ///
    /// One rule on bytes, as HTTP defines a field value: split on the `;` byte, trim SP and HTAB bytes,
    /// fold ASCII letters. The accepted names are ASCII, so a value with any other byte in its media type
    /// is simply not one of them.
    static func isJSONMediaType(_ value: String) -> Bool {
        var utf8 = Substring(value).utf8
        // The first non-empty part: leading `;`-empty parts are skipped.
        while utf8.first == UInt8(ascii: ";") { utf8 = utf8.dropFirst() }
        if let semicolon = utf8.firstIndex(of: UInt8(ascii: ";")) { utf8 = utf8[..<semicolon] }
        utf8 = utf8.trimmingSpacesAndTabs()
        func equals(_ name: StaticString) -> Bool {
            guard utf8.count == name.utf8CodeUnitCount else { return false }
            return name.withUTF8Buffer { expected in
                zip(utf8, expected).allSatisfy { a, b in
                    ASCII.lowercased(a) == b
                }
            }
        }
        return equals("application/json") || equals("application/x-amz-json-1.0")
            || equals("application/x-amz-json-1.1")
    }
}
