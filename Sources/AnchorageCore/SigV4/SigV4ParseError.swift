/// A SigV4 `Authorization` header, credential or presigned query that is not well formed.
///
/// The message names the offending part so it can go to the audit log; callers answer the client
/// with a generic error and never echo it.
public struct SigV4ParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong, e.g. `duplicate SignedHeaders field`.
    public var message: String

    /// Creates an error carrying `message`.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
