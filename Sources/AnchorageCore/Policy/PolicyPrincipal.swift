/// The `Principal` element of a trust-policy statement.
public enum PolicyPrincipal: Equatable, Sendable {
    /// `"Principal": "*"` — everyone.
    case any
    /// `"Principal": {"Service": …, "AWS": …, "Federated": …}` — each list as written.
    case specific(service: [String], aws: [String], federated: [String])

    /// Whether this element names the calling service principal.
    ///
    /// Service names compare by code point (``CodePoints``). `{"AWS": "*"}` means every principal, as in IAM. Other
    /// `AWS` values (accounts, role ARNs) and `Federated` providers never name a service.
    public func matches(service: String) -> Bool {
        switch self {
        case .any:
            return true
        case .specific(let services, let aws, _):
            return services.contains { CodePoints.equal($0, service) } || aws.contains { CodePoints.equal($0, "*") }
        }
    }
}
