/// A request as it arrived, in the terms SigV4 needs: nothing decoded, nothing reordered.
public struct SignedRequest: Sendable {
    public var method: String
    /// Path as received, still percent-encoded.
    public var rawPath: String
    /// Query after `?` as received, or nil.
    public var rawQuery: String?
    /// Header fields in arrival order, duplicates kept.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// The peer's IP address.
    public var sourceAddress: String

    public init(
        method: String, rawPath: String, rawQuery: String?, headers: [(name: String, value: String)], body: [UInt8],
        sourceAddress: String
    ) {
        self.method = method
        self.rawPath = rawPath
        self.rawQuery = rawQuery
        self.headers = headers
        self.body = body
        self.sourceAddress = sourceAddress
    }

    /// All values of header `name` (case-insensitive), in order.
    public func headerValues(_ name: String) -> [String] {
        let lowered = name.lowercased()
        return headers.filter { $0.name.lowercased() == lowered }.map(\.value)
    }

    /// The single value of header `name`, trimmed; nil when absent. Repeated headers are joined with `,`.
    public func header(_ name: String) -> String? {
        let values = headerValues(name)
        guard !values.isEmpty else { return nil }
        return values.map { $0.trimmingASCIIWhitespace() }.joined(separator: ",")
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    func trimmingASCIIWhitespace() -> String {
        // Header values rarely need it; checking the end bytes first skips the copy and `Character` walk.
        guard let first = utf8.first, let last = utf8.last else { return self }
        if first != UInt8(ascii: " ") && first != UInt8(ascii: "\t") && last != UInt8(ascii: " ")
            && last != UInt8(ascii: "\t")
        {
            return self
        }
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
