/// A socket-level or protocol failure in the server or client.
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    /// What failed, with `errno`'s text when a system call failed.
    public var message: String

    /// An error with `message`.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}
