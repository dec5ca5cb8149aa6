/// An IAM role that certificates may assume, with its trust policy.
public struct Role: Sendable {
    public var arn: ARN
    /// The role name: the last segment of the ARN's resource.
    public var name: String { arn.resourceName }
    public var maxSessionDuration: Int
    public var trustPolicy: PolicyDocument

    public init(arn: ARN, maxSessionDuration: Int, trustPolicy: PolicyDocument) {
        self.arn = arn
        self.maxSessionDuration = maxSessionDuration
        self.trustPolicy = trustPolicy
    }

    /// The role's unique id as IAM shows it (`AROA` + 17 characters), derived from the ARN so that
    /// every replica agrees without shared state.
    public var roleId: String { "AROA" + IdentifierEncoding.base32(digestOf: arn.description, length: 17) }
}
