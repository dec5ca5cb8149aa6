public import AnchorageCore

/// One tag of a trust anchor, profile or CRL, as the Roles Anywhere API spells it: `{"key": …, "value": …}`.
///
/// The files keep tags in this shape (`"tags": [...]` in `anchor.json`, a profile file, a CRL sidecar), and the
/// loader and the API apply the same rules (``ResourceTag/parseList(_:path:)``).
public struct ResourceTag: Sendable, Equatable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }

    /// Tags one resource may carry (AWS's limit; more is `TooManyTagsException`).
    public static let maximumCount = 50

    /// Why `key` is not a tag key (1-128 of `[ a-zA-Z0-9_.:/=+@-]`, not starting with the reserved `aws:`), or nil.
    public static func problem(key: String) -> String? {
        guard (1...128).contains(key.unicodeScalars.count), key.unicodeScalars.allSatisfy(isAllowed) else {
            return "must be 1-128 characters of letters, digits, spaces and _ . : / = + @ -"
        }
        guard !key.lowercased().hasPrefix("aws:") else { return "must not start with the reserved prefix aws:" }
        return nil
    }

    /// Why `value` is not a tag value (0-256 of `[ a-zA-Z0-9_.:/=+@-]`), or nil.
    public static func problem(value: String) -> String? {
        guard value.unicodeScalars.count <= 256, value.unicodeScalars.allSatisfy(isAllowed) else {
            return "must be 0-256 characters of letters, digits, spaces and _ . : / = + @ -"
        }
        return nil
    }

    private static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", " ", "_", ".", ":", "/", "=", "+", "@", "-": return true
        default: return false
        }
    }

    /// Parses a TagList (`[{"key", "value"}]`): every element an object with exactly those string members, each
    /// valid, keys unique. The count limit is the caller's (the loader's issue, the API's TooManyTagsException).
    public static func parseList(_ json: JSONValue, path: String) throws(SchemaError) -> [ResourceTag] {
        guard case .array(let elements) = json else { throw SchemaError(path: path, message: "must be an array") }
        var tags: [ResourceTag] = []
        for (index, element) in elements.enumerated() {
            let elementPath = "\(path)[\(index)]"
            guard case .object(let members) = element else {
                throw SchemaError(path: elementPath, message: "must be an object with key and value")
            }
            for member in members where member.key != "key" && member.key != "value" {
                throw SchemaError(path: "\(elementPath).\(member.key)", message: "unknown key")
            }
            guard let key = element["key"]?.stringValue else {
                throw SchemaError(path: "\(elementPath).key", message: "required string")
            }
            guard let value = element["value"]?.stringValue else {
                throw SchemaError(path: "\(elementPath).value", message: "required string")
            }
            if let problem = problem(key: key) { throw SchemaError(path: "\(elementPath).key", message: problem) }
            if let problem = problem(value: value) {
                throw SchemaError(path: "\(elementPath).value", message: problem)
            }
            guard !tags.contains(where: { $0.key == key }) else {
                throw SchemaError(path: "\(elementPath).key", message: "duplicate tag key \(key)")
            }
            tags.append(ResourceTag(key: key, value: value))
        }
        return tags
    }

    /// The TagList JSON of `tags`.
    public static func json(_ tags: [ResourceTag]) -> JSONValue {
        .array(tags.map { .object(["key": .string($0.key), "value": .string($0.value)]) })
    }
}
