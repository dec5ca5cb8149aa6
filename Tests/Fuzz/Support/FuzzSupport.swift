// Shared by every fuzz target (compiled into each binary next to its target file).
#if canImport(Glibc)
    import Glibc
#endif

/// Stops the process with a message when an invariant does not hold; libFuzzer sees the SIGABRT,
/// saves the input as `crash-<sha1>` and reports it as a finding.
func fuzzCheck(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID,
    line: UInt = #line
) {
    if !condition() {
        fputs("FUZZ INVARIANT VIOLATED at \(file):\(line): \(message())\n", stderr)
        abort()
    }
}

/// A cursor over the fuzzer's bytes for targets that take structured input.
struct FuzzInput {
    let bytes: [UInt8]
    var index = 0

    init(_ data: UnsafePointer<UInt8>, _ size: Int) {
        bytes = Array(UnsafeBufferPointer(start: data, count: size))
    }

    init(bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { index >= bytes.count }

    /// The next byte, or 0 past the end.
    mutating func byte() -> UInt8 {
        guard index < bytes.count else { return 0 }
        defer { index += 1 }
        return bytes[index]
    }

    /// Everything not yet consumed.
    mutating func rest() -> [UInt8] {
        defer { index = bytes.count }
        return index < bytes.count ? Array(bytes[index...]) : []
    }

    /// The bytes up to (not including) the next `separator`, consuming it; the rest when absent.
    mutating func field(until separator: UInt8) -> [UInt8] {
        guard index < bytes.count else { return [] }
        if let end = bytes[index...].firstIndex(of: separator) {
            defer { index = end + 1 }
            return Array(bytes[index..<end])
        }
        return rest()
    }
}

/// Splits `bytes` on `separator` (empty fields kept).
func fuzzFields(_ bytes: [UInt8], separator: UInt8) -> [[UInt8]] {
    bytes.split(separator: separator, omittingEmptySubsequences: false).map(Array.init)
}

/// Writes `bytes` to `directory/name` (for the seed writers every target has).
func fuzzWriteSeed(_ directory: String, _ name: String, _ bytes: [UInt8]) {
    let path = directory + "/" + name
    guard let file = fopen(path, "wb") else {
        fputs("cannot write \(path)\n", stderr)
        exit(1)
    }
    _ = bytes.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, file) }
    fclose(file)
}

/// When `ANCHORAGE_FUZZ_WRITE_SEEDS` names a directory, `write` fills it and the process exits;
/// called from `LLVMFuzzerInitialize`, so seeds that need in-process material (certificates, a
/// sealed token) come from the same code the target runs.
func fuzzWriteSeedsIfAsked(_ write: (String) -> Void) {
    guard let directory = getenv("ANCHORAGE_FUZZ_WRITE_SEEDS").map({ String(cString: $0) }) else { return }
    write(directory)
    exit(0)
}
