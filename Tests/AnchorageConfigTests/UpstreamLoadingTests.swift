import AnchorageConfig
import AnchorageConfigFixtures
import AnchorageCore
import Foundation
import Testing

/// `Profiles/upstreams/<name>.json`, a role's `"Upstream"` and the credentials file, as the loader (and so
/// `anchorage validate`) checks them.
@Suite struct UpstreamLoadingTests {
    /// A fixture whose role is brokered through `aws`, with a sound credentials file (mode 0600).
    static func brokeredFixture(upstream: String? = nil, credentials: String? = nil) throws -> ConfigFixture {
        let fixture = try ConfigFixture()
        try fixture.makeBrokered(upstream: upstream, credentials: credentials)
        return fixture
    }

    @Test func brokeredRoleAndUpstreamLoad() throws {
        let fixture = try Self.brokeredFixture()
        let configuration = try fixture.loader.load(generation: 1)
        #expect(configuration.roles[roleArn]?.upstream == "aws")
        let upstream = try #require(configuration.upstreams["aws"])
        #expect(upstream.endpoint == (try UpstreamEndpoint("https://sts.us-east-1.amazonaws.com")))
        #expect(upstream.region == "us-east-1")
        #expect(upstream.timeoutSeconds == 3)
        #expect(upstream.caBundle == nil)
        // Relative paths are taken from the upstream file's directory.
        #expect(
            upstream.credentialsFile == fixture.directory.url("Profiles/upstreams") + "/../../keys/aws.json")
        #expect(try UpstreamCredentialsFile.read(upstream.credentialsFile).accessKeyId == "AKIAEXAMPLE")
    }

    @Test func roleNamingAnUndefinedUpstreamIsAnError() throws {
        let fixture = try Self.brokeredFixture()
        try fixture.write(
            ConfigFixture.role,
            #"{"Arn": "\#(roleArn)", "Upstream": "minio", "AssumeRolePolicyDocument": \#(ConfigFixture.policyJSON())}"#)
        let issues = fixture.loadIssues()
        #expect(issues.map(\.path) == ["$.Upstream"])
        #expect(issues.first?.file.hasSuffix("roles/web-reader.json") == true)
        #expect(issues.first?.message.contains("minio") == true)
    }

    @Test(
        "upstream file errors name the file and the JSON path",
        arguments: [
            (
                #"{"Endpoint": "http://sts.amazonaws.com", "Region": "us-east-1", "CredentialsFile": "../../keys/aws.json"}"#,
                "$.Endpoint"
            ),
            (
                #"{"Endpoint": "https://sts.amazonaws.com", "Region": "US East", "CredentialsFile": "../../keys/aws.json"}"#,
                "$.Region"
            ),
            (#"{"Endpoint": "https://sts.amazonaws.com", "Region": "us-east-1"}"#, "$.CredentialsFile"),
            (
                #"{"Endpoint": "https://sts.amazonaws.com", "Region": "us-east-1", "CredentialsFile": "../../keys/aws.json", "Extra": 1}"#,
                "$.Extra"
            ),
            (
                #"{"Endpoint": "https://sts.amazonaws.com", "Region": "us-east-1", "CredentialsFile": "../../keys/aws.json", "TimeoutSeconds": 0}"#,
                "$.TimeoutSeconds"
            ),
            (
                #"{"Endpoint": "https://sts.amazonaws.com", "Region": "us-east-1", "CredentialsFile": "../../keys/aws.json", "CABundle": "none.pem"}"#,
                "$.CABundle"
            ),
        ])
    func upstreamFileErrors(document: String, path: String) throws {
        let fixture = try Self.brokeredFixture(upstream: document)
        let issues = fixture.loadIssues()
        #expect(issues.contains { $0.path == path && $0.file.hasSuffix("upstreams/aws.json") }, "\(issues)")
        // A file that exists but does not load is reported once, not again as an undefined name.
        #expect(!issues.contains { $0.path == "$.Upstream" }, "\(issues)")
    }

    @Test func credentialsFileReadableByOthersIsAnError() throws {
        let fixture = try Self.brokeredFixture()
        chmod(fixture.directory.url("keys/aws.json"), 0o640)
        let issues = fixture.loadIssues()
        #expect(issues.count == 1)
        #expect(issues.first?.file == fixture.directory.url("Profiles/upstreams") + "/../../keys/aws.json")
        #expect(issues.first?.message.contains("mode 640") == true, "\(issues)")
    }

    @Test func symlinkToACredentialsFileReadableByOthersIsAnError() throws {
        let fixture = try Self.brokeredFixture()
        let keys = fixture.directory.url("keys/aws.json")
        try FileManager.default.moveItem(atPath: keys, toPath: keys + ".real")
        chmod(keys + ".real", 0o644)
        try FileManager.default.createSymbolicLink(atPath: keys, withDestinationPath: keys + ".real")
        #expect(fixture.loadIssues().first?.message.contains("mode 644") == true)
    }

    @Test("a credentials file that is a FIFO is refused at once: opening it must not wait for a writer")
    func credentialsFileFIFOIsAnError() throws {
        let fixture = try Self.brokeredFixture()
        let keys = fixture.directory.url("keys/aws.json")
        try fixture.directory.remove("keys/aws.json")
        #expect(mkfifo(keys, 0o600) == 0)
        #expect(fixture.loadIssues().first?.message.hasPrefix("not a regular file") == true)
        #expect(throws: ConfigurationError.self) { try UpstreamCredentialsFile.read(keys) }
    }

    @Test func missingCredentialsFileIsAnError() throws {
        let fixture = try Self.brokeredFixture()
        try fixture.directory.remove("keys/aws.json")
        #expect(fixture.loadIssues().first?.message.hasPrefix("missing or unreadable") == true)
    }

    @Test(
        "credentials file errors name the JSON path and never echo a value",
        arguments: [
            (#"{"AccessKeyId": "AKIAEXAMPLE"}"#, "$.SecretAccessKey"),
            (#"{"AccessKeyId": "AKIAEXAMPLE", "SecretAccessKey": "", "SessionToken": "t"}"#, "$.SecretAccessKey"),
            (#"{"AccessKeyId": "AKIAEXAMPLE", "SecretAccessKey": "topsecret", "Token": "t"}"#, "$.Token"),
            (#"{"AccessKeyId": "AKIAEXAMPLE", "SecretAccessKey": "topsecret" "#, "$"),
        ])
    func credentialsFileErrors(document: String, path: String) throws {
        let fixture = try Self.brokeredFixture(credentials: document)
        let issues = fixture.loadIssues()
        #expect(issues.map(\.path) == [path], "\(issues)")
        #expect(!issues.description.contains("topsecret"))
    }

    @Test func roleDocumentWritesUpstreamAndReadsBack() throws {
        let fixture = try ConfigFixture()
        try fixture.write("keys/aws.json", #"{"AccessKeyId": "AKIAEXAMPLE", "SecretAccessKey": "secret"}"#)
        chmod(fixture.directory.url("keys/aws.json"), 0o600)
        try fixture.writer.write(
            ConfigurationWriter.upstreamFile(
                name: "aws", endpoint: "https://sts.amazonaws.com", region: "us-east-1",
                credentialsFile: fixture.directory.url("keys/aws.json"), timeoutSeconds: 4))
        let policy = try JSONParser.parse(ConfigFixture.policyJSON())
        try fixture.writer.writeRole(RoleDocument(arn: roleArn, trustPolicy: policy, upstream: "aws"))
        let configuration = try fixture.loader.load(generation: 1)
        #expect(configuration.roles[roleArn]?.upstream == "aws")
        #expect(configuration.upstreams["aws"]?.timeoutSeconds == 4)
    }
}
