/// An upstream STS (`Profiles/upstreams/<name>.json`) that issues the credentials of brokered roles: AWS STS,
/// MinIO or Ceph RGW, reached with `AssumeRole`.
///
/// The keys Anchorage signs with are not part of the configuration: they live in ``credentialsFile``, which the
/// server re-reads whenever it changes, so rotating them needs no reload.
public struct Upstream: Sendable, Equatable {
    /// The file name under `Profiles/upstreams/`, without `.json`; what a role's `"Upstream"` names.
    public var name: String
    /// Where `AssumeRole` is sent.
    public var endpoint: UpstreamEndpoint
    /// The SigV4 signing region (`us-east-1` for AWS's global endpoint; what MinIO and Ceph are configured with).
    public var region: String
    /// Absolute path of the JSON file holding `AccessKeyId`, `SecretAccessKey` and optionally `SessionToken`.
    public var credentialsFile: String
    /// PEM file of the CAs that may sign the endpoint's certificate; nil uses the system trust store.
    public var caBundle: String?
    /// The whole exchange — both attempts when the first fails for a retryable reason — ends within this time.
    public var timeoutSeconds: Double

    /// The exchange's time bound when the file gives none.
    public static let defaultTimeoutSeconds: Double = 5

    public init(
        name: String, endpoint: UpstreamEndpoint, region: String, credentialsFile: String, caBundle: String? = nil,
        timeoutSeconds: Double = Upstream.defaultTimeoutSeconds
    ) {
        self.name = name
        self.endpoint = endpoint
        self.region = region
        self.credentialsFile = credentialsFile
        self.caBundle = caBundle
        self.timeoutSeconds = timeoutSeconds
    }
}
