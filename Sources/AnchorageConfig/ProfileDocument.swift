public import AnchorageCore

/// A profile as `Profiles/<name>.json` holds it: AWS's ProfileDetail shape, every key written.
public struct ProfileDocument: Sendable, Equatable {
    /// The file name without `.json`.
    public var name: String
    public var arn: String
    public var enabled: Bool
    public var roleArns: [String]
    public var durationSeconds: Int
    public var acceptRoleSessionName: Bool
    /// The inline session policy, as JSON text.
    public var sessionPolicy: String?
    public var managedPolicyArns: [String]
    /// The `attributeMappings` array as AWS returns it; nil writes `null` (AWS's default mapping).
    public var attributeMappings: JSONValue?

    public init(
        name: String, arn: String, enabled: Bool = true, roleArns: [String], durationSeconds: Int = 3600,
        acceptRoleSessionName: Bool = false, sessionPolicy: String? = nil, managedPolicyArns: [String] = [],
        attributeMappings: JSONValue? = nil
    ) {
        self.name = name
        self.arn = arn
        self.enabled = enabled
        self.roleArns = roleArns
        self.durationSeconds = durationSeconds
        self.acceptRoleSessionName = acceptRoleSessionName
        self.sessionPolicy = sessionPolicy
        self.managedPolicyArns = managedPolicyArns
        self.attributeMappings = attributeMappings
    }

    /// The document, members in ProfileDetail order.
    public var json: JSONValue {
        .object([
            "profileArn": .string(arn),
            "enabled": .bool(enabled),
            "roleArns": .array(roleArns.map(JSONValue.string)),
            "durationSeconds": .number(String(durationSeconds)),
            "acceptRoleSessionName": .bool(acceptRoleSessionName),
            "sessionPolicy": sessionPolicy.map(JSONValue.string) ?? .null,
            "managedPolicyArns": .array(managedPolicyArns.map(JSONValue.string)),
            "attributeMappings": attributeMappings ?? .null,
        ])
    }
}
