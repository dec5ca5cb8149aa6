/// An IAM role that certificates may assume, with its trust policy and the identity policies that authorize its
/// sessions' control-plane calls.
public struct Role: Sendable {
    public var arn: ARN {
        didSet { identifiers = Self.identifiers(of: arn) }
    }
    /// The role name: the last segment of the ARN's resource.
    public var name: String { identifiers.name }
    public var maxSessionDuration: Int
    public var trustPolicy: PolicyDocument
    /// The inline identity policies (`RolePolicyList`), in file order.
    public var identityPolicies: [IdentityPolicy]
    /// The upstream STS (`Profiles/upstreams/<name>.json`) that issues this role's credentials, or nil when
    /// Anchorage issues them itself. The trust policy above stays Anchorage's own gate either way.
    public var upstream: String?
    /// When the role was created (its file's `CreateDate`, seconds since the Unix epoch), nil when the file does not
    /// say. A session issued before then was issued for an earlier role of the same name.
    public var createdAt: Int64?

    /// ``name`` and ``roleId``, derived from ``arn`` when it is set rather than on every request.
    private var identifiers: (name: String, roleId: String)

    public init(
        arn: ARN, maxSessionDuration: Int, trustPolicy: PolicyDocument, identityPolicies: [IdentityPolicy] = [],
        upstream: String? = nil, createdAt: Int64? = nil
    ) {
        self.arn = arn
        self.maxSessionDuration = maxSessionDuration
        self.trustPolicy = trustPolicy
        self.identityPolicies = identityPolicies
        self.upstream = upstream
        self.createdAt = createdAt
        self.identifiers = Self.identifiers(of: arn)
    }

    /// The role's unique id as IAM shows it (`AROA` + 17 characters), derived from the ARN so that
    /// every replica agrees without shared state.
    public var roleId: String { identifiers.roleId }

    private static func identifiers(of arn: ARN) -> (name: String, roleId: String) {
        (arn.resourceName, "AROA" + IdentifierEncoding.base32(digestOf: arn.description, length: 17))
    }
}
