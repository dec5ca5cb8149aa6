public import AnchorageCore

/// The members the control plane adds to today's resource files (contract §3.3: extended, never changed): the
/// API's `name`, `createdAt`/`updatedAt` (ISO 8601, UTC) and `tags`. All optional, so a file written by hand or by
/// the CLI stays valid; the loader checks them with the rules the API applies.
public struct ResourceMetadata: Sendable, Equatable {
    public var name: String?
    public var createdAt: Int64?
    public var updatedAt: Int64?
    public var tags: [ResourceTag]

    public init(name: String? = nil, createdAt: Int64? = nil, updatedAt: Int64? = nil, tags: [ResourceTag] = []) {
        self.name = name
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.tags = tags
    }

    /// The member names.
    public static let keys: Set<String> = ["name", "createdAt", "updatedAt", "tags"]

    /// Why `name` is not a Roles Anywhere resource name (1-255 of `[ a-zA-Z0-9-_]`), or nil.
    public static func problem(name: String) -> String? {
        let allowed = name.unicodeScalars.allSatisfy {
            switch $0 {
            case "a"..."z", "A"..."Z", "0"..."9", " ", "-", "_": return true
            default: return false
            }
        }
        guard (1...255).contains(name.unicodeScalars.count), allowed else {
            return "must be 1-255 characters of letters, digits, spaces, - and _"
        }
        return nil
    }

    /// Reads the members from a resource file's object; problems are appended with their JSON paths.
    public static func parse(_ json: JSONValue, issues: inout [SchemaError]) -> ResourceMetadata {
        var metadata = ResourceMetadata()
        if let value = json["name"], value != .null {
            if let name = value.stringValue, problem(name: name) == nil {
                metadata.name = name
            } else {
                issues.append(SchemaError(path: "$.name", message: problem(name: value.stringValue ?? "") ?? ""))
            }
        }
        for key in ["createdAt", "updatedAt"] {
            guard let value = json[key], value != .null else { continue }
            guard let text = value.stringValue, let seconds = UTCTimestamp.parseISO8601(text) else {
                issues.append(SchemaError(path: "$.\(key)", message: "must be an ISO 8601 UTC time"))
                continue
            }
            if key == "createdAt" { metadata.createdAt = seconds } else { metadata.updatedAt = seconds }
        }
        if let value = json["tags"], value != .null {
            do {
                metadata.tags = try ResourceTag.parseList(value, path: "$.tags")
                if metadata.tags.count > ResourceTag.maximumCount {
                    issues.append(SchemaError(path: "$.tags", message: "at most \(ResourceTag.maximumCount) tags"))
                }
            } catch {
                issues.append(error)
            }
        }
        return metadata
    }

    /// `json` (an object) with the members set: present ones written, absent ones removed.
    public func applied(to json: JSONValue) -> JSONValue {
        guard case .object(var members) = json else { return json }
        members.removeAll { Self.keys.contains($0.key) }
        if let name { members.append(JSONMember(key: "name", value: .string(name))) }
        if let createdAt {
            members.append(JSONMember(key: "createdAt", value: .string(UTCTimestamp.iso8601(createdAt))))
        }
        if let updatedAt {
            members.append(JSONMember(key: "updatedAt", value: .string(UTCTimestamp.iso8601(updatedAt))))
        }
        if !tags.isEmpty { members.append(JSONMember(key: "tags", value: ResourceTag.json(tags))) }
        return .object(members)
    }
}
