internal import Glibc

/// The few system services the helper needs, straight from the C library: whole-file reads, writes to
/// stdout and stderr, the environment, fixed-point numbers in log lines. Foundation would do the same
/// but costs every run of `anchorage-helper` its loading (a third of the start-up, with ICU).
enum SystemIO {
    /// The whole file; `errno` when it cannot be opened or read.
    static func readFile(_ path: String) -> Result<[UInt8], Errno> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(Errno(errno)) }
        defer { close(fd) }
        var status = stat()
        let expected = fstat(fd, &status) == 0 ? max(Int(status.st_size), 0) : 0
        var bytes = [UInt8](repeating: 0, count: max(expected + 1, 4096))
        var count = 0
        while true {
            if count == bytes.count { bytes += [UInt8](repeating: 0, count: bytes.count) }
            let read = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + count, $0.count - count) }
            if read == 0 { break }
            if read < 0 {
                if errno == EINTR { continue }
                return .failure(Errno(errno))
            }
            count += read
        }
        bytes.removeSubrange(count...)
        return .success(bytes)
    }

    /// Writes all of `bytes` to `fd` (1 stdout, 2 stderr), retrying short writes; a failed write ends it
    /// quietly (there is nowhere left to report it).
    static func write(_ bytes: [UInt8], to fd: Int32) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
    }

    /// The process environment, as `ProcessInfo.environment` gives it: `NAME=value` entries, split at the
    /// first `=`, the later of two equal names winning; entries without `=` skipped.
    static func environment() -> [String: String] {
        var variables: [String: String] = [:]
        var entry: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = environ
        while let current = entry, let pointer = current.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") {
                variables[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            entry = current + 1
        }
        return variables
    }

    /// `value` with `places` decimals, as `printf("%.*f")` writes it.
    static func fixed(_ value: Double, places: Int) -> String {
        var buffer = [CChar](repeating: 0, count: 400)
        let count = withVaList([Int32(places), value]) { arguments in
            vsnprintf(&buffer, buffer.count, "%.*f", arguments)
        }
        guard count > 0 else { return "\(value)" }
        return String(
            decoding: buffer.prefix(min(Int(count), buffer.count - 1)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The current user's home directory from the password database (when `HOME` is unset or empty).
    static func passwordDatabaseHome() -> String? {
        guard let entry = getpwuid(getuid()), let directory = entry.pointee.pw_dir else { return nil }
        return String(cString: directory)
    }
}

/// An `errno` value, with its text.
struct Errno: Error, CustomStringConvertible {
    var code: Int32
    init(_ code: Int32) { self.code = code }
    var description: String { String(cString: strerror(code)) }
}
