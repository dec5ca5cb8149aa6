import AnchorageCrypto
import Glibc

/// `pin-source`: the PIN file, read the safe way. It must be a regular file (a FIFO or a device such as
/// `/dev/zero` is refused, never waited on or read without end) of at most `limit` bytes; the PIN is its
/// content, less one final line break (`echo 1234 > pin`), and a NUL or another line break inside is
/// refused rather than cut at, so no PIN is silently shortened.
enum PINFile {
    static let limit = 1024

    static func read(_ path: String) throws(HelperError) -> PINBytes {
        let shown = "the PIN file (pin-source) \(TerminalText.escaped(path))"
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else { throw HelperError("cannot open \(shown): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            throw HelperError("\(shown) is not a regular file")
        }
        var buffer = [UInt8](repeating: 0, count: limit + 1)
        defer { PINBytes.wipe(&buffer) }
        var count = 0
        while count < buffer.count {
            let got = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + count, $0.count - count) }
            if got < 0, errno == EINTR { continue }
            guard got >= 0 else { throw HelperError("cannot read \(shown): \(String(cString: strerror(errno)))") }
            if got == 0 { break }
            count += got
        }
        guard count <= limit else { throw HelperError("\(shown) is larger than \(limit) bytes") }
        var end = count
        if end > 0, buffer[end - 1] == 0x0A { end -= 1 }
        if end > 0, buffer[end - 1] == 0x0D { end -= 1 }
        guard !buffer[..<end].contains(where: { $0 == 0 || $0 == 0x0A || $0 == 0x0D }) else {
            throw HelperError("\(shown) must hold the PIN alone on one line (it holds a line break or a NUL byte)")
        }
        var pin = Array(buffer[..<end])
        return PINBytes(taking: &pin)
    }
}
