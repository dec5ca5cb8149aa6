/// A document that parsed as JSON but does not have the required shape.
///
/// `path` is a JSON path from the document root (`$.Statement[0].Condition`), so an operator can
/// find the offending field; the configuration loader adds the file name.
public struct SchemaError: Error, Equatable, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
