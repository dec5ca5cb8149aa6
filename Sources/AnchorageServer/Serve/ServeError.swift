/// A failure to start or run the service, with a message for the operator.
public struct ServeError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
