import AnchorageBasics

/// Normalisation of the identifiers operators paste into `anchorage revoke`.
public enum RevocationIdentifiers {
    /// A certificate serial as lowercase hex without leading zeros (`"0"` for zero).
    ///
    /// Accepts what `openssl x509 -noout -serial` prints (`serial=0A1B…`), any case, with or without
    /// colons (`0a:1b:…`) or a `0x` prefix. Nil when anything else remains.
    public static func normalizedSerial(_ text: String) -> String? {
        var body = Substring(text.trimming(isPastedSpace))
        if let equals = body.firstIndex(of: "="), body[..<equals].lowercased() == "serial" {
            body = body[body.index(after: equals)...]
        }
        if body.hasPrefix("0x") || body.hasPrefix("0X") { body = body.dropFirst(2) }
        let digits = body.utf8.filter { $0 != UInt8(ascii: ":") }
        guard !digits.isEmpty, digits.count <= 128, digits.allSatisfy(isHexDigit) else { return nil }
        let lowered = digits.map(lowercase).drop { $0 == UInt8(ascii: "0") }
        return lowered.isEmpty ? "0" : String(decoding: lowered, as: UTF8.self)
    }

    /// A SHA-256 fingerprint as 64 lowercase hex digits.
    ///
    /// Accepts what `openssl x509 -noout -fingerprint -sha256` prints (`sha256 Fingerprint=AB:CD:…`),
    /// any case, with or without colons.
    public static func normalizedSHA256(_ text: String) -> String? {
        var body = Substring(text.trimming(isPastedSpace))
        if let equals = body.firstIndex(of: "=") { body = body[body.index(after: equals)...] }
        let digits = body.utf8.filter { $0 != UInt8(ascii: ":") }
        guard digits.count == 64, digits.allSatisfy(isHexDigit) else { return nil }
        return String(decoding: digits.map(lowercase), as: UTF8.self)
    }

    /// True for what STS accepts as an access key id: 16–128 characters of `[A-Za-z0-9_]`.
    public static func isAccessKeyId(_ text: String) -> Bool {
        (16...128).contains(text.utf8.count) && text.utf8.allSatisfy(isAlphanumeric)
    }

    static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || byte == UInt8(ascii: "_")
    }

    private static func lowercase(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }
}

/// Space, tab and the line breaks a paste brings along: trimmed from both ends of an identifier.
private func isPastedSpace(_ byte: UInt8) -> Bool {
    byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
}
