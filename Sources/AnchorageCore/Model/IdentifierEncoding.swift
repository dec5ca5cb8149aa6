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
        bytes.withUnsafeBufferPointer { uuidString($0, version: version) }
    }

    /// ``uuidString(_:version:)`` of a buffer (zero-padded to 16 bytes).
    public static func uuidString(_ bytes: UnsafeBufferPointer<UInt8>, version: UInt8 = 8) -> String {
        String(unsafeUninitializedCapacity: 36) { out in
            var o = 0
            for i in 0..<16 {
                var b: UInt8 = i < bytes.count ? bytes[i] : 0
                if i == 6 { b = b & 0x0F | version << 4 }
                if i == 8 { b = b & 0x3F | 0x80 }
                if i == 4 || i == 6 || i == 8 || i == 10 {
                    out[o] = UInt8(ascii: "-")
                    o += 1
                }
                out[o] = hexDigits[Int(b >> 4)]
                out[o + 1] = hexDigits[Int(b & 0x0F)]
                o += 2
            }
            return 36
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
