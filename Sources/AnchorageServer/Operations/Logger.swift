import AnchorageCore
import AnchorageLocking
import Foundation

/// Structured JSON log lines on stderr: `{"time":…,"level":…,"message":…, …fields}`.
///
/// Fields are passed explicitly; nothing secret is ever handed to the logger.
public final class Logger: Sendable {
    public enum Level: String, Sendable { case debug, info, warning, error }

    private let lock = Locked(())
    public let minimumLevel: Level

    public init(minimumLevel: Level = .info) { self.minimumLevel = minimumLevel }

    public func log(_ level: Level, _ message: String, _ fields: [String: String] = [:]) {
        let order: [Level] = [.debug, .info, .warning, .error]
        guard order.firstIndex(of: level)! >= order.firstIndex(of: minimumLevel)! else { return }
        var members = [
            JSONMember(key: "time", value: .string(UTCTimestamp.iso8601Milliseconds(SystemClock().milliseconds))),
            JSONMember(key: "level", value: .string(level.rawValue)),
            JSONMember(key: "message", value: .string(message)),
        ]
        for key in fields.keys.sorted() { members.append(JSONMember(key: key, value: .string(fields[key]!))) }
        let line = JSONWriter.string(.object(members)) + "\n"
        lock.withLock { _ in FileHandle.standardError.write(Data(line.utf8)) }
    }

    public func info(_ message: String, _ fields: [String: String] = [:]) { log(.info, message, fields) }
    public func warning(_ message: String, _ fields: [String: String] = [:]) { log(.warning, message, fields) }
    public func error(_ message: String, _ fields: [String: String] = [:]) { log(.error, message, fields) }
}
