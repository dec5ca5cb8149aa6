import AnchorageConfig
import AnchorageCore

/// Response members shared by the resource shapes.
enum RolesAnywhereJSON {
    /// `createdAt` and `updatedAt` (the model's `iso8601` timestamps), when the files have them.
    static func timestamps(_ metadata: ResourceMetadata) -> [JSONMember] {
        var members: [JSONMember] = []
        if let createdAt = metadata.createdAt {
            members.append(JSONMember(key: "createdAt", value: .string(UTCTimestamp.iso8601(createdAt))))
        }
        if let updatedAt = metadata.updatedAt ?? metadata.createdAt {
            members.append(JSONMember(key: "updatedAt", value: .string(UTCTimestamp.iso8601(updatedAt))))
        }
        return members
    }

    /// `{"<key>": value}`.
    static func wrap(_ key: String, _ value: JSONValue) -> JSONValue { .object([JSONMember(key: key, value: value)]) }

    /// A list page: `{"<key>": [...], "nextToken": …}`.
    static func page(_ key: String, _ items: [JSONValue], nextToken: String?) -> JSONValue {
        var members = [JSONMember(key: key, value: .array(items))]
        if let nextToken { members.append(JSONMember(key: "nextToken", value: .string(nextToken))) }
        return .object(members)
    }

    /// Parses and checks a request's `tags` (TagList): at most 50, keys unique, the model's patterns.
    static func tags(_ body: RequestBody, key: String = "tags") throws(ControlPlaneError) -> [ResourceTag]? {
        guard let value = body.value(key) else { return nil }
        let tags: [ResourceTag]
        do {
            tags = try ResourceTag.parseList(value, path: "$.\(key)")
        } catch {
            throw RolesAnywhereErrors.validation(String(error.path.dropFirst(2)), error.message)
        }
        guard tags.count <= ResourceTag.maximumCount else { throw RolesAnywhereErrors.tooManyTags(tags.count) }
        return tags
    }

    /// Checks a request's `name` against the model's `ResourceName`.
    static func name(_ body: RequestBody, required: Bool) throws(ControlPlaneError) -> String? {
        let name = try body.string("name")
        if required, name == nil { throw RolesAnywhereErrors.validation("name", "is required") }
        if let name, let problem = ResourceMetadata.problem(name: name) {
            throw RolesAnywhereErrors.validation("name", problem)
        }
        return name
    }
}
