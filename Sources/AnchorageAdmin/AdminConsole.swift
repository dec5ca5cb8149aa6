import Foundation

/// Where a command writes: its result to `standardOutput`, diagnostics to `standardError`.
/// `main` uses ``standard``; tests capture both.
public struct AdminConsole: Sendable {
    public var standardOutput: @Sendable (String) -> Void
    public var standardError: @Sendable (String) -> Void

    public init(
        standardOutput: @escaping @Sendable (String) -> Void, standardError: @escaping @Sendable (String) -> Void
    ) {
        self.standardOutput = standardOutput
        self.standardError = standardError
    }

    /// The process's stdout and stderr.
    public static let standard = AdminConsole(
        standardOutput: { FileHandle.standardOutput.write(Data($0.utf8)) },
        standardError: { FileHandle.standardError.write(Data($0.utf8)) })

    /// Writes `line` and a newline to stdout.
    func print(_ line: String) { standardOutput(line + "\n") }

    /// Writes `line` and a newline to stderr.
    func note(_ line: String) { standardError(line + "\n") }
}
