public import AnchorageCore

/// Who calls the control plane: the session whose Anchorage-issued credentials signed the request.
///
/// Built by the HTTP glue after the SigV4 signature verified against the session token's sealed claims,
/// so every field here is what Anchorage itself issued.
public struct ControlPlaneCaller: Sendable {
    /// The verified session: role ARN, principal tags, source identity, certificate.
    public var claims: SessionClaims
    /// The caller's account (from its role ARN): a caller never reaches another account's resources.
    public var account: String
    /// The region of the request's credential scope (`us-east-1` for IAM, which is global).
    public var region: String
    /// The client's address, for `aws:SourceIp`.
    public var sourceAddress: String?

    public init(claims: SessionClaims, account: String, region: String, sourceAddress: String?) {
        self.claims = claims
        self.account = account
        self.region = region
        self.sourceAddress = sourceAddress
    }
}
