import AnchorageCrypto

/// Encodings for the identifiers AWS uses (access key ids, role ids, resource UUIDs).
public enum IdentifierEncoding {
    private static let base32Alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    /// RFC 4648 base32 (no padding) of `bytes`, truncated to `length` characters.
    public static func base32(_ bytes: [UInt8], length: Int) -> String {
        var out: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes where out.count < length {
            buffer = buffer << 8 | UInt32(byte)
            bits += 8
            while bits >= 5, out.count < length {
                out.append(base32Alphabet[Int(buffer >> UInt32(bits - 5) & 31)])
                bits -= 5
            }
            buffer &= (1 << UInt32(bits)) - 1
        }
        if bits > 0, out.count < length { out.append(base32Alphabet[Int(buffer << UInt32(5 - bits) & 31)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Deterministic base32 characters derived from SHA-256 of `text`.
    public static func base32(digestOf text: String, length: Int) -> String {
        base32(Digest.sha256(text), length: length)
    }

    /// A lowercase UUID string (8-4-4-4-12) from the first 16 bytes of `bytes`, stamped with `version`
    /// (4 for random UUIDs, 8 for ones derived from a digest) and the RFC 9562 variant.
    public static func uuidString(_ bytes: [UInt8], version: UInt8 = 8) -> String {
        var b = Array(bytes.prefix(16))
        while b.count < 16 { b.append(0) }
        b[6] = b[6] & 0x0F | version << 4
        b[8] = b[8] & 0x3F | 0x80
        let hex = Hex.encode(b)
        let chars = Array(hex)
        return String(chars[0..<8]) + "-" + String(chars[8..<12]) + "-" + String(chars[12..<16]) + "-"
            + String(chars[16..<20]) + "-" + String(chars[20..<32])
    }
}
