internal import COpenSSL

/// Runs `body` with a read-only memory BIO over `bytes`; the BIO is freed afterwards.
func withReadOnlyMemoryBIO<R>(_ bytes: [UInt8], _ body: (OpaquePointer) throws -> R) throws -> R {
    try bytes.withUnsafeBytes { raw in
        guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else {
            throw CryptoError.drainingQueue("cannot allocate a memory BIO")
        }
        defer { BIO_free(bio) }
        return try body(bio)
    }
}

/// Runs `write` against a fresh memory BIO and returns what it wrote.
func collectingMemoryBIO(_ write: (OpaquePointer) throws -> Bool) throws -> [UInt8] {
    guard let bio = BIO_new(BIO_s_mem()) else { throw CryptoError.drainingQueue("cannot allocate a memory BIO") }
    defer { BIO_free(bio) }
    guard try write(bio) else { throw CryptoError.drainingQueue("cannot serialise") }
    var pointer: UnsafeMutablePointer<CChar>?
    let length = COpenSSL_BIO_get_mem_data(bio, &pointer)
    guard length > 0, let pointer else { return [] }
    return pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
        Array(UnsafeBufferPointer(start: $0, count: length))
    }
}

/// Splits a PEM text into the DER payloads of blocks labelled `label` (e.g. "CERTIFICATE"); nil when a
/// block is unterminated or its body is not base64.
///
/// Parsing PEM in Swift keeps bundle handling independent of OpenSSL's PEM reader, which stops at the
/// first malformed block without saying which one.
func pemBlocks(_ text: [UInt8], label: String) -> [[UInt8]]? {
    let begin = Array("-----BEGIN \(label)-----".utf8)
    let end = Array("-----END \(label)-----".utf8)
    var blocks: [[UInt8]] = []
    var cursor = 0
    while let start = firstIndex(of: begin, in: text, from: cursor) {
        let bodyStart = start + begin.count
        guard let stop = firstIndex(of: end, in: text, from: bodyStart) else { return nil }
        let body = text[bodyStart..<stop].filter { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D) }
        guard let der = Base64.decode(String(decoding: body, as: UTF8.self)) else { return nil }
        blocks.append(der)
        cursor = stop + end.count
    }
    return blocks
}

private func firstIndex(of needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
    guard needle.count <= haystack.count else { return nil }
    var index = start
    while index + needle.count <= haystack.count {
        if haystack[index] == needle[0], haystack[index..<index + needle.count].elementsEqual(needle) { return index }
        index += 1
    }
    return nil
}

/// A Swift string from a NUL-terminated C buffer.
func string(fromCBuffer buffer: [CChar]) -> String {
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
}
