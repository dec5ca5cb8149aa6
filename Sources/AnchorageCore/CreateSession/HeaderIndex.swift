/// The header fields of a request by lowercase name, built once per request for the lookups
/// authentication makes (``SignedRequest/header(_:)`` lowercases and scans every field per call).
struct HeaderIndex {
    private var values: [String: [String]] = [:]

    init(_ fields: [(name: String, value: String)]) {
        values.reserveCapacity(fields.count)
        for field in fields { values[Self.asciiLowercased(field.name), default: []].append(field.value) }
    }

    func contains(_ lowercaseName: String) -> Bool { values[lowercaseName] != nil }

    /// As ``SignedRequest/header(_:)``: values trimmed, repeated fields joined with `,`.
    func value(_ lowercaseName: String) -> String? {
        guard let found = values[lowercaseName] else { return nil }
        if found.count == 1 { return found[0].trimmingASCIIWhitespace() }
        return found.map { $0.trimmingASCIIWhitespace() }.joined(separator: ",")
    }

    /// Header names are RFC 9110 tokens (ASCII), which the HTTP parser enforces.
    static func asciiLowercased(_ name: String) -> String {
        guard name.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) else { return name }
        return String(
            decoding: name.utf8.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 | 0x20 : $0 },
            as: UTF8.self)
    }
}
