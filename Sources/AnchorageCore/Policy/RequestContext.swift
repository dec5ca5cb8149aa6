/// The condition keys of one request and their values, looked up case-insensitively.
///
/// Keys the CreateSession pipeline provides: `aws:SourceArn`, `aws:SourceAccount`,
/// `aws:PrincipalTag/<key>` for each derived tag, `aws:RequestTag/<key>` (the same tags),
/// `aws:TagKeys` (multi-valued: the tag keys), `sts:SourceIdentity`, `sts:RoleSessionName` (when
/// requested), `aws:CurrentTime` (ISO 8601), `aws:EpochTime` and `aws:SourceIp`.
public struct RequestContext: Sendable, Equatable {
    /// Values by lowercased key. IAM matches condition key names case-insensitively, including the
    /// tag-key part of `aws:PrincipalTag/<key>`, so lowercasing the whole key is exactly right.
    private var storage: [String: [String]]

    /// Builds a context. A key that is present with an empty list counts as missing. Keys that
    /// differ only in case are merged (values concatenated in key order) rather than one silently
    /// hiding the other.
    public init(_ values: [String: [String]]) {
        var storage: [String: [String]] = [:]
        for key in values.keys.sorted() {
            storage[key.lowercased(), default: []] += values[key] ?? []
        }
        self.storage = storage.filter { !$0.value.isEmpty }
    }

    /// A context from storage whose keys are already lowercased, unique, and whose lists are non-empty.
    init(lowercasedStorage: [String: [String]]) {
        storage = lowercasedStorage
    }

    /// The values of `key` (any case), or nil when the key is absent or has no values.
    public func values(for key: String) -> [String]? {
        storage[Self.lowercased(key)]
    }

    /// `key.lowercased()`, without allocating for the usual all-ASCII, already-lowercase key.
    static func lowercased(_ key: String) -> String {
        var hasUpper = false
        for byte in key.utf8 {
            if byte >= 0x80 { return key.lowercased() }
            if byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") { hasUpper = true }
        }
        guard hasUpper else { return key }
        return String(
            decoding: key.utf8.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 | 0x20 : $0 },
            as: UTF8.self)
    }

    /// Sets the values of `key`, replacing any values under the same key in another case.
    public mutating func set(_ key: String, _ values: [String]) {
        storage[key.lowercased()] = values.isEmpty ? nil : values
    }
}
