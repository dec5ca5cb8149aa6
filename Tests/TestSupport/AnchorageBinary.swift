public import Foundation

/// Locates the `anchorage` executable built by `swift build`: `<package root>/.build/debug/anchorage`
/// (override with `ANCHORAGE_BINARY`). Missing binary is an error, never a silent skip.
public enum AnchorageBinary {
    public static func url() throws -> URL {
        if let override = ProcessInfo.processInfo.environment["ANCHORAGE_BINARY"], !override.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: override) else {
                throw TestFailure("ANCHORAGE_BINARY=\(override) is not an executable file")
            }
            return URL(fileURLWithPath: override)
        }
        // The build that made this test binary made `anchorage` beside it (`.build/debug`, or the scratch path
        // of an AddressSanitizer run, which may be the only build in a fresh clone).
        if let me = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            let beside = URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("anchorage")
            if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        }
        let root = try FixturePKI.packageRoot()
        let candidate = root.appendingPathComponent(".build/debug/anchorage")
        guard FileManager.default.isExecutableFile(atPath: candidate.path) else {
            throw TestFailure(
                "the anchorage binary was not found at \(candidate.path). Build it first (`swift build`, "
                    + "or `swift build --build-tests` before `swift test`), or set ANCHORAGE_BINARY.")
        }
        return candidate
    }
}
