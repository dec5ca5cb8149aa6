/// What one control-plane call asks to do, known before it runs: the IAM action, the resources it touches
/// and the condition keys the request itself carries.
public struct AuthorizationRequest: Sendable, Equatable {
    /// `service:Action` as IAM spells it: `rolesanywhere:CreateProfile`, `iam:GetRole`.
    public var action: String
    /// The ARNs the call reads or writes (the resource-to-be for creations); `["*"]` for calls on no resource.
    public var resources: [String]
    /// Condition keys of the request (`aws:RequestTag/<key>`, `aws:TagKeys`, `aws:ResourceTag/<key>`), added to
    /// the caller's own (`aws:PrincipalTag/…`, `aws:SourceIp`, `aws:PrincipalArn`, …) by the authorizer.
    public var requestKeys: [String: [String]]

    public init(action: String, resources: [String], requestKeys: [String: [String]] = [:]) {
        self.action = action
        self.resources = resources
        self.requestKeys = requestKeys
    }
}
