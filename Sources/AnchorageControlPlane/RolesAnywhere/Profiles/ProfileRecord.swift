import AnchorageConfig
import AnchorageCore

/// A profile as `Profiles/<stem>.json` holds it: AWS's ProfileDetail shape with the API's extensions. Edits keep
/// every member they do not touch (an Anchorage extension such as `bindSourceIp` survives an UpdateProfile).
struct ProfileRecord {
    var stem: String
    var json: JSONValue
    var arn: ARN
    var metadata: ResourceMetadata

    var id: String { arn.resourceName }
    var name: String { metadata.name ?? stem }
    var enabled: Bool { json["enabled"]?.boolValue ?? false }

    /// The file with this record's state.
    var file: ConfigurationWriter.File {
        ConfigurationWriter.document(.profiles, "\(stem).json", metadata.applied(to: json))
    }

    /// The `attributeMappings` array in force: the file's, or AWS's default mapping for `null`.
    var attributeMappings: [JSONValue] {
        if case .array(let mappings)? = json["attributeMappings"] { return mappings }
        return AttributeMapping.defaults.map(Self.mappingJSON)
    }

    static func mappingJSON(_ mapping: AttributeMapping) -> JSONValue {
        .object([
            "certificateField": .string(mapping.certificateField.rawValue),
            "mappingRules": .array(mapping.specifiers.map { .object(["specifier": .string($0)]) }),
        ])
    }

    /// The model's `ProfileDetail`.
    var detail: JSONValue {
        var members: [JSONMember] = [
            JSONMember(key: "profileId", value: .string(id)),
            JSONMember(key: "profileArn", value: .string(arn.description)),
            JSONMember(key: "name", value: .string(name)),
        ]
        if let require = json["requireInstanceProperties"]?.boolValue {
            members.append(JSONMember(key: "requireInstanceProperties", value: .bool(require)))
        }
        members.append(JSONMember(key: "enabled", value: .bool(enabled)))
        if let policy = json["sessionPolicy"]?.stringValue {
            members.append(JSONMember(key: "sessionPolicy", value: .string(policy)))
        }
        members.append(JSONMember(key: "roleArns", value: json["roleArns"] ?? .array([])))
        members.append(JSONMember(key: "managedPolicyArns", value: json["managedPolicyArns"] ?? .array([])))
        members += RolesAnywhereJSON.timestamps(metadata)
        members.append(
            JSONMember(key: "durationSeconds", value: .number(String(json["durationSeconds"]?.intValue ?? 3600))))
        members.append(
            JSONMember(key: "acceptRoleSessionName", value: .bool(json["acceptRoleSessionName"]?.boolValue ?? false)))
        members.append(JSONMember(key: "attributeMappings", value: .array(attributeMappings)))
        return .object(members)
    }
}

extension ProfileRecord {
    /// Reads `root/<stem>.json`; nil when it is not readable as a profile (the loader reports why).
    init?(stem: String, root: String) {
        guard let json = RolesAnywhereStore.readJSON(root + "/\(stem).json"),
            let arn = json["profileArn"]?.stringValue.flatMap(ARN.init), arn.hasResource(ofType: "profile")
        else { return nil }
        var issues: [SchemaError] = []
        self.init(stem: stem, json: json, arn: arn, metadata: ResourceMetadata.parse(json, issues: &issues))
    }
}
