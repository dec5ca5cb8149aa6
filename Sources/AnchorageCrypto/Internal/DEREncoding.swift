internal import COpenSSL

/// The bytes an OpenSSL `i2d_*` function encodes: called with a null output pointer it allocates the
/// buffer itself, which is copied out and freed here; nil when encoding fails.
func derEncoded(_ encode: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>) -> Int32) -> [UInt8]? {
    var buffer: UnsafeMutablePointer<UInt8>?
    let length = encode(&buffer)
    guard length > 0, let buffer else { return nil }
    defer { COpenSSL_OPENSSL_free(buffer) }
    return Array(UnsafeBufferPointer(start: buffer, count: Int(length)))
}
