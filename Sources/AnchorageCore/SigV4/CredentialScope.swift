/// The `<yyyymmdd>/<region>/<service>/aws4_request` part of a SigV4 credential.
public struct CredentialScope: Hashable, Sendable, CustomStringConvertible {
    /// `YYYYMMDD`; must equal the date part of `X-Amz-Date` (the verifier checks that).
    public var date: String
    public var region: String
    public var service: String
    /// Always `aws4_request` for SigV4.
    public var terminator: String

    /// The only terminator SigV4 defines.
    public static let sigV4Terminator = "aws4_request"

    /// Creates a scope from its parts, without validation (for signing, where the caller owns them).
    public init(date: String, region: String, service: String, terminator: String = CredentialScope.sigV4Terminator) {
        self.date = date
        self.region = region
        self.service = service
        self.terminator = terminator
    }

    /// `date/region/service/terminator`, as it appears in the credential and the string to sign.
    public var string: String { "\(date)/\(region)/\(service)/\(terminator)" }

    public var description: String { string }
}
