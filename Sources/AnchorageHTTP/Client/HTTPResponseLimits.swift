/// What `HTTPClientConnection` accepts from a server before it gives up on an answer.
///
/// The defaults are the credential helper's: a CreateSession answer is about 2 KB, so anything near
/// these limits is hostile or broken, and a client that trusted the server's framing could be made to
/// grow without bound (an endless body, endless headers, endless `100 Continue`).
public struct HTTPResponseLimits: Sendable, Equatable {
    /// Status lines, header fields and chunk trailers of one answer, interim (1xx) answers included.
    public var maxHeaderBytes: Int
    /// Header fields of one answer (interim answers included).
    public var maxHeaderCount: Int
    /// The decoded body.
    public var maxBodyBytes: Int
    /// Interim (1xx) answers skipped before the final one.
    public var maxInterimResponses: Int

    /// Limits; see the properties.
    public init(
        maxHeaderBytes: Int = 64 * 1024, maxHeaderCount: Int = 256, maxBodyBytes: Int = 1024 * 1024,
        maxInterimResponses: Int = 8
    ) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
        self.maxInterimResponses = maxInterimResponses
    }

    /// 64 KiB of headers, 256 fields, a 1 MiB body, 8 interim answers.
    public static let standard = HTTPResponseLimits()
}
