/// What Anchorage asks an upstream STS for: the parameters of one `AssumeRole` (query protocol,
/// version 2011-06-15), fixed by Anchorage's own decision.
public struct AssumeRoleParameters: Sendable, Equatable {
    /// The role file's `Arn`: the upstream role to assume.
    public var roleArn: String
    /// The request's `roleSessionName`, or the name a self-issued session gets (the certificate serial in hex).
    public var roleSessionName: String
    /// The decided duration (900-43200 s).
    public var durationSeconds: Int
    /// The certificate's source identity; nil when it breaks STS's pattern (then it is not sent).
    public var sourceIdentity: String?
    /// The certificate's principal tags, within STS's limits (``UpstreamSessionTags``).
    public var tags: [PrincipalTag]
    /// The profile's `sessionPolicy`.
    public var policy: String?
    /// The profile's `managedPolicyArns`.
    public var policyArns: [String]

    public init(
        roleArn: String, roleSessionName: String, durationSeconds: Int, sourceIdentity: String?,
        tags: [PrincipalTag], policy: String?, policyArns: [String]
    ) {
        self.roleArn = roleArn
        self.roleSessionName = roleSessionName
        self.durationSeconds = durationSeconds
        self.sourceIdentity = sourceIdentity
        self.tags = tags
        self.policy = policy
        self.policyArns = policyArns
    }

    /// The form parameters in the order they are sent: `Action`, `Version`, `RoleArn`, `RoleSessionName`,
    /// `DurationSeconds`, `SourceIdentity`, `Tags.member.N.Key`/`.Value`, `Policy`, `PolicyArns.member.N.arn`.
    public var formParameters: [(name: String, value: String)] {
        var out: [(name: String, value: String)] = [
            ("Action", "AssumeRole"), ("Version", "2011-06-15"), ("RoleArn", roleArn),
            ("RoleSessionName", roleSessionName), ("DurationSeconds", String(durationSeconds)),
        ]
        if let sourceIdentity { out.append(("SourceIdentity", sourceIdentity)) }
        for (index, tag) in tags.enumerated() {
            out.append(("Tags.member.\(index + 1).Key", tag.key))
            out.append(("Tags.member.\(index + 1).Value", tag.value))
        }
        if let policy { out.append(("Policy", policy)) }
        for (index, arn) in policyArns.enumerated() { out.append(("PolicyArns.member.\(index + 1).arn", arn)) }
        return out
    }

    /// `application/x-www-form-urlencoded` of ``formParameters``, every byte outside SigV4's unreserved set
    /// percent-encoded (as the AWS SDKs encode query-protocol bodies).
    public var formBody: [UInt8] {
        var out: [UInt8] = []
        for (index, parameter) in formParameters.enumerated() {
            if index > 0 { out.append(UInt8(ascii: "&")) }
            PercentEncoding.encode(parameter.name.utf8, into: &out)
            out.append(UInt8(ascii: "="))
            PercentEncoding.encode(parameter.value.utf8, into: &out)
        }
        return out
    }
}
