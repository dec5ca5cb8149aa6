/// A configuration file or directory could not be written; the message names the path the caller gave
/// and what is wrong, never a hidden temporary name alone.
public struct ConfigurationWriteError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
