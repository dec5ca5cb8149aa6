import AnchorageTestSupport
import Glibc

extension ConfigFixture {
    /// `Profiles/upstreams/aws.json`.
    public static let upstreamFile = "Profiles/upstreams/aws.json"
    /// The credentials file ``makeBrokered(upstream:credentials:ou:)`` writes, relative to the fixture.
    public static let upstreamCredentialsFile = "keys/aws.json"
    public static let upstreamAccessKeyId = "AKIAEXAMPLE"

    /// Makes the role `web-reader` brokered through upstream `aws` (`upstream`, by default an https endpoint with
    /// a 3 s timeout) with a sound credentials file (`credentials`, mode 0600); the role's trust policy asks for
    /// OU `ou`.
    public func makeBrokered(upstream: String? = nil, credentials: String? = nil, ou: String = "web") throws {
        try write(
            Self.upstreamCredentialsFile,
            credentials ?? #"{"AccessKeyId": "\#(Self.upstreamAccessKeyId)", "SecretAccessKey": "secret"}"#)
        chmod(directory.url(Self.upstreamCredentialsFile), 0o600)
        try write(
            Self.upstreamFile,
            upstream
                ?? #"{"Endpoint": "https://sts.us-east-1.amazonaws.com", "Region": "us-east-1", "CredentialsFile": "../../keys/aws.json", "TimeoutSeconds": 3}"#
        )
        try write(
            Self.role,
            #"{"Arn": "\#(roleArn)", "Upstream": "aws", "AssumeRolePolicyDocument": \#(Self.policyJSON(ou: ou))}"#)
    }
}
