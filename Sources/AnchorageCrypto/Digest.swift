internal import COpenSSL

/// One-shot message digests over byte buffers.
public enum Digest {
    /// The provider implementation, fetched once: OpenSSL 3.0's one-shot `SHA256()` fetches it on every call,
    /// which cost more than hashing the few hundred bytes a request hashes (0.78 against 0.45 µs per call).
    nonisolated(unsafe) private static let sha256Algorithm: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil)

    /// SHA-256 of `bytes`.
    public static func sha256<Bytes: Collection>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        if let digest = bytes.withContiguousStorageIfAvailable({ sha256(buffer: $0) }) { return digest }
        return Array(bytes).withUnsafeBufferPointer { sha256(buffer: $0) }
    }

    private static func sha256(buffer: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 32) { out, count in
            // A NULL input pointer is fine for OpenSSL only with length 0, which is what an empty buffer gives.
            if let algorithm = sha256Algorithm,
                EVP_Digest(buffer.baseAddress, buffer.count, out.baseAddress, nil, algorithm, nil) == 1
            {
                count = 32
            } else {
                SHA256(buffer.baseAddress, buffer.count, out.baseAddress)
                count = 32
            }
        }
    }

    /// SHA-256 of the UTF-8 bytes of `string`.
    public static func sha256(_ string: String) -> [UInt8] { sha256(Array(string.utf8)) }

    /// Lowercase hex SHA-256, the form SigV4 uses for payload and canonical-request hashes.
    public static func sha256Hex<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        Hex.encode(sha256(bytes))
    }

    /// Lowercase hex SHA-256 of the UTF-8 bytes of `string`.
    public static func sha256Hex(_ string: String) -> String { Hex.encode(sha256(string)) }

    /// The digest named `name` (`SHA256`, `SHA384`, `SHA512`) of `bytes`, for signers that take a digest
    /// rather than a message (hardware tokens); nil for an unknown name.
    public static func hash(_ bytes: [UInt8], name: String) -> [UInt8]? {
        guard let md = EVP_get_digestbyname(name) else { return nil }
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer {
                EVP_Digest(input.baseAddress, input.count, $0.baseAddress, &length, md, nil)
            }
        }
        guard ok == 1 else { return nil }
        return Array(out.prefix(Int(length)))
    }
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
