import AnchorageBasics

/// An HTTP header section: order-preserving, duplicates kept, names compared case-insensitively.
///
/// Values are stored as received, with only the optional whitespace around the value removed, so
/// signature code that canonicalises headers (SigV4) sees exactly what the client sent.
public struct HTTPHeaders: Sendable, Sequence {
    /// The fields in wire order.
    public var fields: [(name: String, value: String)]

    /// An empty header section.
    public init() { fields = [] }

    /// A header section holding `fields` in the given order.
    public init(_ fields: [(name: String, value: String)]) { self.fields = fields }

    /// The first value of the field called `name` (case-insensitive), or `nil`.
    public subscript(name: String) -> String? {
        for field in fields where Self.namesEqual(field.name, name) { return field.value }
        return nil
    }

    /// Every value of the field called `name` (case-insensitive), in wire order.
    public func values(for name: String) -> [String] {
        fields.compactMap { Self.namesEqual($0.name, name) ? $0.value : nil }
    }

    /// Whether a field called `name` is present.
    public func contains(name: String) -> Bool {
        fields.contains { Self.namesEqual($0.name, name) }
    }

    /// Appends a field, keeping any existing ones of the same name.
    public mutating func add(name: String, value: String) {
        fields.append((name: name, value: value))
    }

    /// Replaces every field called `name` by a single one with `value` (at the first one's position),
    /// or appends it when absent.
    public mutating func replaceOrAdd(name: String, value: String) {
        guard let first = fields.firstIndex(where: { Self.namesEqual($0.name, name) }) else {
            add(name: name, value: value)
            return
        }
        fields[first] = (name: fields[first].name, value: value)
        var index = fields.count - 1
        while index > first {
            if Self.namesEqual(fields[index].name, name) { fields.remove(at: index) }
            index -= 1
        }
    }

    /// Removes every field called `name`.
    public mutating func remove(name: String) {
        fields.removeAll { Self.namesEqual($0.name, name) }
    }

    /// Iterates the fields in wire order.
    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }

    /// ASCII case-insensitive comparison without allocating; header names are tokens, so ASCII folding is exact.
    static func namesEqual(_ a: String, _ b: String) -> Bool {
        // Folding keeps the length, and most names looked up differ in length from most present: O(1) out.
        guard a.utf8.count == b.utf8.count else { return false }
        var ai = a.utf8.makeIterator()
        var bi = b.utf8.makeIterator()
        while true {
            switch (ai.next(), bi.next()) {
            case (nil, nil): return true
            case let (x?, y?):
                if x != y && ASCII.lowercased(x) != ASCII.lowercased(y) { return false }
            default: return false
            }
        }
    }
}

extension HTTPHeaders: ExpressibleByDictionaryLiteral {
    /// Builds headers from a literal, in the literal's order.
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements.map { (name: $0.0, value: $0.1) })
    }
}
