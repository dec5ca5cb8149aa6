import AnchorageBasics

/// A request as it arrived, in the terms SigV4 needs: nothing decoded, nothing reordered.
public struct SignedRequest: Sendable {
    public var method: String
    /// Path as received, still percent-encoded.
    public var rawPath: String
    /// Query after `?` as received, or nil.
    public var rawQuery: String?
    /// Header fields in arrival order, duplicates kept.
    public var headers: [(name: String, value: String)] {
        get { headerIndex.fields }
        set { headerIndex = HeaderIndex(newValue) }
    }
    /// ``headers`` with their lowercase names, indexed once per request: every lookup and the
    /// canonicalisation use it.
    public private(set) var headerIndex: HeaderIndex
    public var body: [UInt8]
    /// The peer's IP address.
    public var sourceAddress: String

    /// A request; `lowercaseHeaderNames`, when given, are the names of `headers` ASCII-lowercased in
    /// order (the server passes those its HTTP request already holds).
    public init(
        method: String, rawPath: String, rawQuery: String?, headers: [(name: String, value: String)], body: [UInt8],
        sourceAddress: String, lowercaseHeaderNames: [String]? = nil
    ) {
        self.method = method
        self.rawPath = rawPath
        self.rawQuery = rawQuery
        self.headerIndex = HeaderIndex(headers, lowercaseNames: lowercaseHeaderNames)
        self.body = body
        self.sourceAddress = sourceAddress
    }

    /// All values of header `name` (ASCII case-insensitive), in order.
    public func headerValues(_ name: String) -> [String] {
        headerIndex.values(ASCII.lowercased(name))
    }

    /// The single value of header `name` (ASCII case-insensitive), trimmed of spaces and tabs; nil when
    /// absent. Repeated headers are joined with `,`.
    public func header(_ name: String) -> String? {
        headerIndex.value(ASCII.lowercased(name))
    }
}
