/// One immutable generation of the configuration: everything a request is decided against.
public struct Configuration: Sendable {
    /// Increases with every successful load; part of cache keys.
    public var generation: Int
    public var trustAnchors: [String: TrustAnchor]
    public var profiles: [String: Profile]
    public var roles: [String: Role]
    /// `PKI/revocations.json`: certificates and sessions revoked by `anchorage revoke`.
    public var revocations = RevocationList()
    /// `Profiles/upstreams/<name>.json`, by name: the STS endpoints that brokered roles (``Role/upstream``) use.
    public var upstreams: [String: Upstream] = [:]

    public init(generation: Int, trustAnchors: [TrustAnchor], profiles: [Profile], roles: [Role]) {
        self.generation = generation
        self.trustAnchors = Dictionary(trustAnchors.map { ($0.arn.description, $0) }, uniquingKeysWith: { a, _ in a })
        self.profiles = Dictionary(profiles.map { ($0.arn.description, $0) }, uniquingKeysWith: { a, _ in a })
        self.roles = Dictionary(roles.map { ($0.arn.description, $0) }, uniquingKeysWith: { a, _ in a })
    }
}
