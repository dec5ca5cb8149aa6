/// One problem found while loading the configuration: which file, where in it, and what is wrong.
public struct ConfigurationIssue: Error, Equatable, Sendable, CustomStringConvertible {
    /// Path of the offending file or directory.
    public var file: String
    /// JSON path inside the file (`$.roleArns[1]`), or `$` for the whole file.
    public var path: String
    public var message: String

    public init(file: String, path: String = "$", message: String) {
        self.file = file
        self.path = path
        self.message = message
    }

    public var description: String { "\(file): \(path): \(message)" }
}

/// The configuration failed to load; nothing of it was applied.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public var issues: [ConfigurationIssue]

    public init(issues: [ConfigurationIssue]) { self.issues = issues }

    public var description: String { issues.map(\.description).joined(separator: "\n") }
}
