/// Standard (RFC 4648 §4) base64 with padding, strict on decode.
public enum Base64 {
    private static let alphabet: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let reverse: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    /// Base64 of `bytes`, padded.
    public static func encode<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let input = Array(bytes)
        // Written straight into the string's storage: session tokens and secret keys are encoded on every request.
        return input.withUnsafeBufferPointer { input in
            alphabet.withUnsafeBufferPointer { table in
                String(unsafeUninitializedCapacity: (input.count + 2) / 3 * 4) { out in
                    var i = 0
                    var o = 0
                    while i + 3 <= input.count {
                        let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
                        out[o] = table[Int(n >> 18 & 63)]
                        out[o + 1] = table[Int(n >> 12 & 63)]
                        out[o + 2] = table[Int(n >> 6 & 63)]
                        out[o + 3] = table[Int(n & 63)]
                        i += 3
                        o += 4
                    }
                    let rest = input.count - i
                    if rest > 0 {
                        let n = UInt32(input[i]) << 16 | (rest == 2 ? UInt32(input[i + 1]) << 8 : 0)
                        out[o] = table[Int(n >> 18 & 63)]
                        out[o + 1] = table[Int(n >> 12 & 63)]
                        out[o + 2] = rest == 2 ? table[Int(n >> 6 & 63)] : UInt8(ascii: "=")
                        out[o + 3] = UInt8(ascii: "=")
                        o += 4
                    }
                    return o
                }
            }
        }
    }

    /// Decodes padded standard base64; nil on any character outside the alphabet, bad length or bad padding
    /// (`=` only as the last one or two characters). Runs on every request (`X-Amz-X509`), so it decodes in place,
    /// without a per-quantum allocation.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var text = String(text)
        return text.withUTF8 { input -> [UInt8]? in
            guard input.count % 4 == 0 else { return nil }
            var padding = 0
            if input.count >= 4 {
                if input[input.count - 1] == UInt8(ascii: "=") { padding = 1 }
                if padding == 1, input[input.count - 2] == UInt8(ascii: "=") { padding = 2 }
            }
            let outputCount = input.count / 4 * 3 - padding
            let decoded = reverse.withUnsafeBufferPointer { values in
                [UInt8](unsafeUninitializedCapacity: outputCount) { out, initialized in
                    initialized = 0
                    var i = 0
                    var o = 0
                    while i < input.count {
                        let isLast = i + 4 == input.count
                        let a = values[Int(input[i])]
                        let b = values[Int(input[i + 1])]
                        let c = isLast && padding == 2 ? 0 : values[Int(input[i + 2])]
                        let d = isLast && padding >= 1 ? 0 : values[Int(input[i + 3])]
                        // 0xFF marks a byte outside the alphabet, including '=' anywhere but the padding.
                        guard (a | b | c | d) & 0x80 == 0 else { return }
                        let n = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                        out[o] = UInt8(truncatingIfNeeded: n >> 16)
                        o += 1
                        if !isLast || padding < 2 {
                            out[o] = UInt8(truncatingIfNeeded: n >> 8)
                            o += 1
                        }
                        if !isLast || padding < 1 {
                            out[o] = UInt8(truncatingIfNeeded: n)
                            o += 1
                        }
                        i += 4
                    }
                    initialized = o
                }
            }
            return decoded.count == outputCount ? decoded : nil
        }
    }
}
