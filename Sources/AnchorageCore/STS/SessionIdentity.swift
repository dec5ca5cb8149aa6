/// What STS says about a session: the assumed-role ARN, the user id and the account, derived from the
/// session's claims alone (so every replica answers alike).
public struct SessionIdentity: Sendable, Equatable {
    /// `arn:<partition>:sts::<account>:assumed-role/<role name>/<session name>` (the role path is omitted, as in AWS).
    public var arn: String
    /// `<role id>:<session name>`, the role id being `AROA…` as ``Role/roleId`` derives it.
    public var userId: String
    public var account: String

    public init(arn: String, userId: String, account: String) {
        self.arn = arn
        self.userId = userId
        self.account = account
    }

    /// The identity of a session; nil when the claims' role ARN does not parse (tokens are only ever
    /// sealed with valid ones).
    public init?(claims: SessionClaims) {
        guard let role = ARN(claims.roleArn) else { return nil }
        let roleName = role.resourceName
        // Same derivation as Role.roleId, which needs a whole Role; a unit test keeps them equal.
        let roleId = "AROA" + IdentifierEncoding.base32(digestOf: role.description, length: 17)
        self.init(
            arn: "arn:\(role.partition):sts::\(role.account):assumed-role/\(roleName)/\(claims.roleSessionName)",
            userId: "\(roleId):\(claims.roleSessionName)", account: role.account)
    }
}
