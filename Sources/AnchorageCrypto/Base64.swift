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

    /// Decodes padded standard base64; nil on any character outside the alphabet, bad length or bad padding.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let input = Array(text.utf8)
        guard input.count % 4 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(input.count / 4 * 3)
        var i = 0
        while i < input.count {
            let isLast = i + 4 == input.count
            var values: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
            var padding = 0
            for j in 0..<4 {
                let c = input[i + j]
                var v: UInt8 = 0
                if c == UInt8(ascii: "=") {
                    guard isLast, j >= 2 else { return nil }
                    padding += 1
                } else {
                    guard padding == 0 else { return nil }
                    v = reverse[Int(c)]
                    guard v != 0xFF else { return nil }
                }
                switch j {
                case 0: values.0 = v
                case 1: values.1 = v
                case 2: values.2 = v
                default: values.3 = v
                }
            }
            let n = UInt32(values.0) << 18 | UInt32(values.1) << 12 | UInt32(values.2) << 6 | UInt32(values.3)
            out.append(UInt8(n >> 16 & 0xFF))
            if padding < 2 { out.append(UInt8(n >> 8 & 0xFF)) }
            if padding < 1 { out.append(UInt8(n & 0xFF)) }
            i += 4
        }
        return out
    }
}
