import Foundation

/// A fresh directory under the system temporary directory, removed when the value is released.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String

    public init() {
        var template = Array((NSTemporaryDirectory() + "/anchorage-tests-XXXXXX").utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(created != nil, "mkdtemp failed")
        path = String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
            .replacingOccurrences(of: "//", with: "/")
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// `path/relative`.
    public func url(_ relative: String) -> String { path + "/" + relative }

    /// Writes `bytes` to `relative`, creating parent directories.
    public func write(_ relative: String, _ bytes: [UInt8]) throws {
        let full = url(relative)
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: full, contents: Data(bytes)) else {
            throw TestFailure("cannot write \(full)")
        }
    }

    public func write(_ relative: String, _ text: String) throws { try write(relative, Array(text.utf8)) }

    public func read(_ relative: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: url(relative)) else {
            throw TestFailure("cannot read \(relative)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    public func remove(_ relative: String) throws { try FileManager.default.removeItem(atPath: url(relative)) }

    public func copy(_ from: String, to: String) throws {
        try FileManager.default.copyItem(atPath: url(from), toPath: url(to))
    }
}
