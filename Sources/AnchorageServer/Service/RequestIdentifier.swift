import AnchorageCore
import AnchorageCrypto
import Synchronization

/// Request ids (`x-amzn-RequestId`, the audit log's `requestId`): random-looking version-4 UUIDs that
/// are unique without a DRBG call per request.
///
/// Request ids are not secrets, only identifiers. Each id carries 58 bits drawn once per process from
/// ``SecureRandom`` and 64 bits that are a bijective mix (keyed with another 64 secure random bits) of
/// a process-wide counter: two ids of one process never collide, and ids of different processes share
/// the 58 random bits only by chance. Session secrets and token nonces still come from ``SecureRandom``.
enum RequestIdentifier {
    private static let seed: [UInt8] = SecureRandom.bytes(16)
    private static let key: UInt64 = seed[8..<16].reduce(0) { $0 << 8 | UInt64($1) }
    private static let counter = Atomic<UInt64>(0)

    static func next() -> String {
        let n = counter.add(1, ordering: .relaxed).oldValue
        let mixed = mix(n ^ key)
        var bytes: (UInt64, UInt64) = (0, 0)
        return withUnsafeMutableBytes(of: &bytes) { raw in
            // Bytes 0-5, the low nibble of 6 and the low six bits of 8: the process's random bits.
            for i in 0..<9 { raw[i] = seed[i] }
            // Byte 7 and bytes 9-15 (untouched by the version and variant stamps): the mixed counter.
            raw[7] = UInt8(truncatingIfNeeded: mixed >> 56)
            for i in 0..<7 { raw[9 + i] = UInt8(truncatingIfNeeded: mixed >> (8 * UInt64(6 - i))) }
            return IdentifierEncoding.uuidString(
                UnsafeBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: 16), version: 4)
        }
    }

    /// The SplitMix64 finaliser: a bijection on 64-bit words.
    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
