import AnchorageBasics

/// The condition keys of one request and their values, looked up case-insensitively.
///
/// Keys the CreateSession pipeline provides: `aws:SourceArn`, `aws:SourceAccount`,
/// `aws:PrincipalTag/<key>` for each derived tag, `aws:RequestTag/<key>` (the same tags),
/// `aws:TagKeys` (multi-valued: the tag keys), `sts:SourceIdentity`, `sts:RoleSessionName` (when
/// requested), `aws:CurrentTime` (ISO 8601), `aws:EpochTime` and `aws:SourceIp`.
public struct RequestContext: Sendable, Equatable {
    /// Values by key with ASCII letters lowercased (`ASCII.lowercased`). IAM matches
    /// condition key names case-insensitively, including the tag-key part of `aws:PrincipalTag/<key>`.
    private var storage: [String: [String]]

    /// Builds a context. A key that is present with an empty list counts as missing. Keys that
    /// differ only in case are merged (values concatenated in key order) rather than one silently
    /// hiding the other.
    public init(_ values: [String: [String]]) {
        var storage: [String: [String]] = [:]
        for key in values.keys.sorted() {
            storage[ASCII.lowercased(key), default: []] += values[key] ?? []
        }
        self.storage = storage.filter { !$0.value.isEmpty }
    }

    /// A context from storage whose keys are already ASCII-lowercased, unique, and whose lists are non-empty.
    init(lowercasedStorage: [String: [String]]) {
        storage = lowercasedStorage
    }

    /// The values of `key` (any ASCII case), or nil when the key is absent or has no values.
    ///
    /// `Dictionary` finds keys by canonical equivalence; the found key must also be the same code points,
    /// so `x509Subject/\u{212A}` (KELVIN SIGN) never reads the values of `x509Subject/K`.
    public func values(for key: String) -> [String]? {
        let lowered = ASCII.lowercased(key)
        guard let index = storage.index(forKey: lowered), CodePoints.equal(storage[index].key, lowered) else {
            return nil
        }
        return storage[index].value
    }

    /// Sets the values of `key`, replacing any values under the same key in another case.
    public mutating func set(_ key: String, _ values: [String]) {
        storage[ASCII.lowercased(key)] = values.isEmpty ? nil : values
    }
}
