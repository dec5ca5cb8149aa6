import AnchorageConfig

/// A command that could not do what it was asked (exit status 1). Nothing was changed on disk unless the
/// message says otherwise.
public struct AdminError: Error, CustomStringConvertible, Sendable {
    public var message: String
    /// Further lines (one per configuration issue).
    public var details: [String]

    public init(_ message: String, details: [String] = []) {
        self.message = message
        self.details = details
    }

    /// Runs `body`, a configuration write, reporting its failure as the command's.
    static func wrapping<T>(_ body: () throws(ConfigurationWriteError) -> T) throws(AdminError) -> T {
        do {
            return try body()
        } catch {
            throw AdminError(error.message)
        }
    }

    public var description: String { ([message] + details).joined(separator: "\n") }
}
