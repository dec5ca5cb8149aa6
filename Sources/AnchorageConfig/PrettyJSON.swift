public import AnchorageCore

/// Indented JSON for the configuration files ``ConfigurationWriter`` and the admin commands write (two spaces, members in order, a final newline),
/// so they read and diff like hand-written ones. Short arrays of scalars stay on one line.
public enum PrettyJSON {
    public static func bytes(_ value: JSONValue) -> [UInt8] { Array(string(value).utf8) }

    /// The file text: the document and a final newline.
    public static func string(_ value: JSONValue) -> String { text(value) + "\n" }

    /// The document without a final newline (for printing).
    public static func text(_ value: JSONValue) -> String {
        var out = ""
        write(value, indent: "", into: &out)
        return out
    }

    private static func write(_ value: JSONValue, indent: String, into out: inout String) {
        let inner = indent + "  "
        switch value {
        case .array(let elements):
            if elements.isEmpty {
                out += "[]"
            } else if elements.allSatisfy(\.isScalar), JSONWriter.string(value).count <= 80 {
                out += "[" + elements.map { JSONWriter.string($0) }.joined(separator: ", ") + "]"
            } else {
                out += "[\n"
                for (index, element) in elements.enumerated() {
                    out += inner
                    write(element, indent: inner, into: &out)
                    out += index == elements.count - 1 ? "\n" : ",\n"
                }
                out += indent + "]"
            }
        case .object(let members):
            if members.isEmpty {
                out += "{}"
                return
            }
            out += "{\n"
            for (index, member) in members.enumerated() {
                out += inner + JSONWriter.quoted(member.key) + ": "
                write(member.value, indent: inner, into: &out)
                out += index == members.count - 1 ? "\n" : ",\n"
            }
            out += indent + "}"
        default:
            out += JSONWriter.string(value)
        }
    }
}

extension JSONValue {
    public var isScalar: Bool {
        switch self {
        case .array, .object: return false
        default: return true
        }
    }

    /// A copy of this object with member `key` set to `value` (kept in place when present, appended otherwise).
    public func setting(_ key: String, to value: JSONValue) -> JSONValue {
        guard case .object(var members) = self else { return self }
        if let index = members.firstIndex(where: { $0.key == key }) {
            members[index].value = value
        } else {
            members.append(JSONMember(key: key, value: value))
        }
        return .object(members)
    }

    /// An object from `(key, value)` pairs in order.
    public static func object(_ pairs: KeyValuePairs<String, JSONValue>) -> JSONValue {
        .object(pairs.map { JSONMember(key: $0.key, value: $0.value) })
    }

    /// The array of strings, or nil when this is not an array of strings.
    public var stringArray: [String]? {
        guard case .array(let elements) = self else { return nil }
        let strings = elements.compactMap(\.stringValue)
        return strings.count == elements.count ? strings : nil
    }
}
