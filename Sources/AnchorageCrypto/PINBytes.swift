import Glibc

/// A PIN or password held in memory of its own, zeroed when released: a Swift array would leave copies behind
/// (every copy-on-write duplicate is a fresh buffer nobody wipes), so the bytes live outside one. PKCS#11 PINs
/// and TPM key passwords both live in one.
public final class PINBytes: @unchecked Sendable {
    private let storage: UnsafeMutableBufferPointer<UInt8>

    /// Takes `bytes` over: they are copied in, and the array is zeroed in place (callers pass the only
    /// reference, so the zeroing reaches the buffer the bytes were read into).
    public init(taking bytes: inout [UInt8]) {
        storage = .allocate(capacity: max(bytes.count, 1))
        _ = storage.initialize(from: bytes)
        count = bytes.count
        Self.wipe(&bytes)
    }

    /// How many bytes the PIN has.
    public let count: Int

    deinit {
        if let base = storage.baseAddress { explicit_bzero(base, storage.count) }
        storage.deallocate()
    }

    /// The bytes, for a call that passes them on (to a module or a buffer OpenSSL wipes; neither may keep the
    /// pointer).
    public func withBytes<R, E: Error>(_ body: (UnsafeMutableBufferPointer<UInt8>) throws(E) -> R) throws(E) -> R {
        try body(UnsafeMutableBufferPointer(rebasing: storage[..<count]))
    }

    /// Zeroes `bytes` in place, in the array's own buffer (not a copy).
    public static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { buffer in
            if let base = buffer.baseAddress { explicit_bzero(base, buffer.count) }
        }
    }
}
