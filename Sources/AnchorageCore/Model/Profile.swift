/// A Roles Anywhere profile: which roles a certificate may assume and how sessions are shaped.
public struct Profile: Sendable {
    /// The file name under `Profiles/`, without `.json`.
    public var name: String
    public var arn: ARN
    public var enabled: Bool
    /// Role ARNs as written (compared exactly).
    public var roleArns: [String]
    /// The session duration the profile grants (900–43200).
    public var durationSeconds: Int
    public var acceptRoleSessionName: Bool
    /// Inline session policy text, passed through.
    public var sessionPolicy: String?
    public var managedPolicyArns: [String]
    /// nil means the AWS default mapping.
    public var attributeMappings: [AttributeMapping]?
    /// Anchorage extension (`bindSourceIp`): sessions of this profile are only accepted from the
    /// address that created them, checked on every verified STS request.
    public var bindSourceIp = false

    public init(
        name: String, arn: ARN, enabled: Bool, roleArns: [String], durationSeconds: Int = 3600,
        acceptRoleSessionName: Bool = false, sessionPolicy: String? = nil, managedPolicyArns: [String] = [],
        attributeMappings: [AttributeMapping]? = nil
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
}
