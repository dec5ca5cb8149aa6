internal import COpenSSL

/// One-shot message digests over byte buffers.
public enum Digest {
    /// SHA-256 of `bytes`.
    public static func sha256<Bytes: Collection>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        var out = [UInt8](repeating: 0, count: 32)
        let input = Array(bytes)
        input.withUnsafeBufferPointer { buf in
            _ = out.withUnsafeMutableBufferPointer { o in
                SHA256(buf.baseAddress, buf.count, o.baseAddress)
            }
        }
        return out
    }

    /// SHA-256 of the UTF-8 bytes of `string`.
    public static func sha256(_ string: String) -> [UInt8] { sha256(Array(string.utf8)) }

    /// Lowercase hex SHA-256, the form SigV4 uses for payload and canonical-request hashes.
    public static func sha256Hex<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        Hex.encode(sha256(bytes))
    }

    /// Lowercase hex SHA-256 of the UTF-8 bytes of `string`.
    public static func sha256Hex(_ string: String) -> String { Hex.encode(sha256(string)) }
}

/// HMAC-SHA256, the primitive of SigV4's key derivation and signature.
public enum HMAC {
    /// HMAC-SHA256 of `message` under `key`.
    public static func sha256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var outLength: UInt32 = 0
        key.withUnsafeBufferPointer { k in
            message.withUnsafeBufferPointer { m in
                _ = out.withUnsafeMutableBufferPointer { o in
                    COpenSSL.HMAC(
                        EVP_sha256(), k.baseAddress, Int32(k.count), m.baseAddress, m.count, o.baseAddress, &outLength)
                }
            }
        }
        return out
    }
}

/// Comparison that takes the same time whatever the contents, for secrets and MACs.
public enum ConstantTime {
    /// True when `a` and `b` are equal; the running time depends only on the lengths.
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in 0..<a.count { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
