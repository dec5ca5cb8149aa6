/// The long-lived (or sidecar-issued) keys Anchorage signs `AssumeRole` with, as the upstream's
/// `CredentialsFile` holds them. Never logged: ``description`` shows the key id only.
public struct UpstreamCredentials: Sendable, Equatable, CustomStringConvertible {
    public var accessKeyId: String
    public var secretAccessKey: String
    /// Present when the keys are themselves temporary (`X-Amz-Security-Token` is then signed and sent).
    public var sessionToken: String?

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    public var description: String { "UpstreamCredentials(accessKeyId: \(accessKeyId), secret: <redacted>)" }
}
