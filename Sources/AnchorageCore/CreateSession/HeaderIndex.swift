import AnchorageBasics

/// The header fields of a request with each name ASCII-lowercased once: the one form in which Core
/// looks headers up (``SignedRequest/header(_:)``, authentication) and canonicalises them
/// (``CanonicalRequest``).
///
/// The server fills it from the lowercase names `HTTPRequest` computed when it was parsed, so no name
/// is lowercased twice; other callers let it lowercase them. Lookups scan the few fields of a request
/// comparing whole names, which costs less than hashing them into a dictionary first.
public struct HeaderIndex: Sendable {
    /// The fields in arrival order, duplicates kept, values as received.
    public let fields: [(name: String, value: String)]
    /// `fields[i].name` with ASCII letters lowercased, for every `i`. Header names are RFC 9110 tokens
    /// (ASCII), which the HTTP parser enforces, so ASCII folding is exact.
    public let lowercaseNames: [String]

    /// Indexes `fields`; `lowercaseNames`, when given, must be their names ASCII-lowercased, in order.
    public init(_ fields: [(name: String, value: String)], lowercaseNames: [String]? = nil) {
        self.fields = fields
        if let lowercaseNames {
            precondition(lowercaseNames.count == fields.count, "one lowercase name per field")
            self.lowercaseNames = lowercaseNames
        } else {
            self.lowercaseNames = fields.map { ASCII.lowercased($0.name) }
        }
    }

    /// Whether a field called `lowercaseName` is present.
    public func contains(_ lowercaseName: String) -> Bool { lowercaseNames.contains(lowercaseName) }

    /// Every value of the fields called `lowercaseName`, in arrival order, as received.
    public func values(_ lowercaseName: String) -> [String] {
        var found: [String] = []
        for (index, name) in lowercaseNames.enumerated() where name == lowercaseName {
            found.append(fields[index].value)
        }
        return found
    }

    /// The value of the fields called `lowercaseName`, each trimmed of spaces and tabs, repeated fields
    /// joined with `,`; nil when absent.
    public func value(_ lowercaseName: String) -> String? {
        var joined: String?
        for (index, name) in lowercaseNames.enumerated() where name == lowercaseName {
            let value = fields[index].value.trimmingSpacesAndTabs()
            joined = joined.map { $0 + "," + value } ?? value
        }
        return joined
    }
}
