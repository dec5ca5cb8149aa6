import AnchorageTestSupport
import Foundation
import Testing

/// Brokered roles (`"Upstream"` in the role file) against a real upstream STS: moto's server behind a recording
/// proxy (`Tests/Scripts/sts_upstream.py`), both on loopback. The recorder checks each `AssumeRole`'s SigV4
/// signature independently (botocore recomputes it with the configured keys) and keeps every parameter.
///
/// One upstream process and one `anchorage serve` for the suite; serialized, since the hot-reload test rotates
/// the keys every other test signs with.
@Suite("Upstream STS broker end to end (moto)", .serialized)
struct UpstreamBrokerTests {
    static let leaf = "leaf-rsa-2048"
    static let profileArn = ARNs.profile("c0ffee00-1111-4222-8333-444455556666")
    static let sessionPolicy =
        #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#
    static let managedPolicyArn = "arn:aws:iam::aws:policy/AmazonS3FullAccess"

    @Test("the Python client and the AWS CLI get upstream credentials that moto's STS and S3 accept")
    func pythonClientAndAWSCLI() async throws {
        let world = try await UpstreamWorld.shared.get()
        let before = try world.records().count
        let out = try await Clients.pythonSession(
            leaf: Self.leaf, profileArn: Self.profileArn, roleArn: ARNs.role("brokered"),
            extra: ["--session-duration", "1800", "--role-session-name", "build-42"], world.context)
        #expect(out["ok"]?.bool == true, "client output: \(out)")
        let records = try world.records()
        #expect(records.count == before + 1, "one AssumeRole per CreateSession")
        let record = try #require(records.last)
        #expect(record["signatureValid"]?.bool == true, "signature: \(record["signatureProblem"] ?? .null)")
        #expect(world.knownKeyIds.contains(record["accessKeyId"]?.string ?? ""))
        let params = try #require(record["params"])
        #expect(params["Action"]?.string == "AssumeRole")
        #expect(params["Version"]?.string == "2011-06-15")
        #expect(params["RoleArn"]?.string == ARNs.role("brokered"))
        #expect(params["RoleSessionName"]?.string == "build-42")
        #expect(params["DurationSeconds"]?.string == "1800")
        #expect(params["SourceIdentity"]?.string == "CN=\(Self.leaf)")
        #expect(params["Policy"]?.string == Self.sessionPolicy)
        #expect(params["PolicyArns.member.1.arn"]?.string == Self.managedPolicyArn)
        var tags: [String: String] = [:]
        for index in 1...60 {
            guard let key = params["Tags.member.\(index).Key"]?.string else { break }
            tags[key] = params["Tags.member.\(index).Value"]?.string
        }
        #expect(tags["x509Subject/OU"] == "web", "tags sent: \(tags)")
        #expect(tags["x509Subject/CN"] == Self.leaf, "tags sent: \(tags)")
        #expect(tags["x509SAN/DNS"] == "\(Self.leaf).example.test", "tags sent: \(tags)")

        // The credentials are the upstream's: moto's STS and S3 accept them, and name the assumed role.
        let keys = try AWSKeys(out)
        let identity = try await world.aws(["sts", "get-caller-identity"], keys)
        #expect(identity["Arn"]?.string == "arn:aws:sts::\(ARNs.account):assumed-role/brokered/build-42")
        let bucket = "brokered-\(UUID().uuidString.prefix(8).lowercased())"
        _ = try await world.aws(["s3api", "create-bucket", "--bucket", bucket], keys)
        let file = world.configuration.root.appendingPathComponent("object.txt")
        try Data("brokered object\n".utf8).write(to: file)
        _ = try await world.aws(["s3api", "put-object", "--bucket", bucket, "--key", "k", "--body", file.path], keys)
        let copy = world.configuration.root.appendingPathComponent("object-copy.txt")
        _ = try await world.aws(["s3api", "get-object", "--bucket", bucket, "--key", "k", copy.path], keys)
        #expect(try String(contentsOf: copy, encoding: .utf8) == "brokered object\n")

        // The audit record names the upstream, its request id and the assumed-role ARN.
        let line = try #require(
            try world.auditLines().last { $0["accessKeyId"]?.string == keys.accessKeyId }, "audit line of the session")
        #expect(line["outcome"]?.string == "allowed")
        #expect(line["upstream"]?["name"]?.string == "moto")
        let upstreamRequestId = line["upstream"]?["requestId"]?.string ?? ""
        #expect(!upstreamRequestId.isEmpty, "upstream request id in \(line)")
        #expect(
            line["upstream"]?["assumedRoleArn"]?.string
                == "arn:aws:sts::\(ARNs.account):assumed-role/brokered/build-42")
    }

    @Test("anchorage-helper as the AWS CLI's credential_process gets upstream credentials")
    func helperAsCredentialProcess() async throws {
        let world = try await UpstreamWorld.shared.get()
        let pki = world.context.pki
        let helper = try HelperBinary.path()
        let config = world.configuration.root.appendingPathComponent("aws-config-\(UUID().uuidString.prefix(8))")
        let command = [
            helper, "credential-process", "--certificate", pki.certificate(Self.leaf).path, "--private-key",
            pki.privateKey(Self.leaf).path, "--trust-anchor-arn", ARNs.rsaRootAnchor, "--profile-arn", Self.profileArn,
            "--role-arn", ARNs.role("brokered"), "--endpoint", "https://\(world.context.server.endpoint)",
            "--ca-bundle", pki.caBundle.path,
        ].joined(separator: " ")
        try Data("[profile brokered]\ncredential_process = \(command)\nregion = us-east-1\n".utf8).write(to: config)
        var environment = world.awsEnvironment
        environment["AWS_CONFIG_FILE"] = config.path
        let result = try await runProcess(
            "/usr/bin/env",
            [
                "aws", "--profile", "brokered", "--endpoint-url", world.motoURL, "--output", "json", "sts",
                "get-caller-identity",
            ], environment: environment, timeout: 60)
        #expect(result.status == 0, "\(result.summary)")
        let identity = try JSONValue.parse(result.stdout)
        let serial = try pki.serialHex(Self.leaf)
        #expect(identity["Arn"]?.string == "arn:aws:sts::\(ARNs.account):assumed-role/brokered/\(serial)")
        let record = try #require(try world.records().last)
        #expect(record["params"]?["RoleSessionName"]?.string == serial)
        #expect(record["params"]?["DurationSeconds"]?.string == "3600")
        #expect(record["signatureValid"]?.bool == true)
    }

    @Test("a refused decision never reaches the upstream")
    func refusedDecisionNeverReachesUpstream() async throws {
        let world = try await UpstreamWorld.shared.get()
        let before = try world.records().count
        let r = try await world.raw(role: "brokered-ops")
        #expect(r.status == 403, "\(r.output)")
        #expect(r.errorCode == "AccessDeniedException")
        #expect(try world.records().count == before, "the upstream saw a request Anchorage refused")
        let line = try #require(try world.auditLine(r.requestId))
        #expect(line["reason"]?.string == "trust_policy_not_allowed")
        #expect(line["upstream"] == nil)
    }

    @Test("the upstream's AccessDenied is a 403 without its text; throttling is a 429")
    func upstreamRefusalAndThrottling() async throws {
        let world = try await UpstreamWorld.shared.get()
        let refused = try await world.raw(role: "upstream-refused")
        #expect(refused.status == 403, "\(refused.output)")
        #expect(refused.errorCode == "AccessDeniedException")
        #expect(!refused.body.contains("upstream secret detail"), "upstream text reached the caller: \(refused.body)")
        let line = try #require(try world.auditLine(refused.requestId))
        #expect(line["outcome"]?.string == "denied")
        #expect(line["reason"]?.string == "upstream_access_denied")
        #expect(line["detail"]?.string?.contains("upstream secret detail for upstream-refused") == true)
        #expect(line["upstream"]?["requestId"]?.string == "rid-refused")
        #expect(line["upstream"]?["errorCode"]?.string == "AccessDenied")
        #expect(line["upstream"]?["attempts"]?.number == 1)

        let throttled = try await world.raw(role: "upstream-throttled")
        #expect(throttled.status == 429, "\(throttled.output)")
        #expect(throttled.errorCode == "ThrottlingException")
        #expect(try world.auditLine(throttled.requestId)?["reason"]?.string == "upstream_throttled")
    }

    @Test("an upstream that is down or hangs is a 503 within its timeout")
    func upstreamDownOrHung() async throws {
        let world = try await UpstreamWorld.shared.get()
        let down = try await world.raw(role: "brokered-down")
        #expect(down.status == 503, "\(down.output)")
        #expect(down.errorCode == "ServiceUnavailableException")
        let line = try #require(try world.auditLine(down.requestId))
        #expect(line["outcome"]?.string == "error")
        #expect(line["reason"]?.string == "upstream_unavailable")
        #expect(line["upstream"]?["attempts"]?.number == 2, "one retry: \(line)")

        // The "slow" upstream's TimeoutSeconds is 2; 15 s is a generous bound for a loaded CI machine.
        let started = Date()
        let hung = try await world.raw(role: "upstream-silent")
        let elapsed = Date().timeIntervalSince(started)
        #expect(hung.status == 503, "\(hung.output)")
        #expect(elapsed < 15, "answered after \(elapsed) s")
        #expect(try world.auditLine(hung.requestId)?["reason"]?.string == "upstream_unavailable")
    }

    @Test("over HTTPS the upstream's certificate is verified against its CABundle")
    func tlsVerified() async throws {
        let world = try await UpstreamWorld.shared.get()
        let before = try world.records().count
        let trusted = try await world.raw(role: "brokered-tls")
        #expect(trusted.status == 201, "\(trusted.output)")
        let records = try world.records()
        #expect(records.count == before + 1)
        #expect(records.last?["params"]?["RoleArn"]?.string == ARNs.role("brokered-tls"))
        #expect(records.last?["signatureValid"]?.bool == true)

        // A CA bundle that did not sign the upstream's certificate: no request gets through the handshake.
        let untrusted = try await world.raw(role: "brokered-untrusted")
        #expect(untrusted.status == 503, "\(untrusted.output)")
        #expect(try world.records().count == before + 1, "a request reached an unverified upstream")
        let line = try #require(try world.auditLine(untrusted.requestId))
        #expect(line["upstream"]?["errorCode"]?.string == "unreachable")
        #expect(line["detail"]?.string?.contains("certificate") == true, "\(line)")
    }

    @Test("new keys in the credentials file are used by the next call, without a restart")
    func credentialsHotReload() async throws {
        let world = try await UpstreamWorld.shared.get()
        let newKey = try world.rotateKeys()
        let r = try await world.raw(role: "brokered")
        #expect(r.status == 201, "\(r.output)")
        let record = try #require(try world.records().last)
        #expect(record["accessKeyId"]?.string == newKey)
        #expect(record["signatureValid"]?.bool == true, "signature: \(record["signatureProblem"] ?? .null)")
    }

    @Test("revoke warns that live brokered sessions cannot be recalled")
    func revokeWarnsAboutBrokeredSessions() async throws {
        let world = try await UpstreamWorld.shared.get()
        let issued = try await world.raw(role: "brokered")
        #expect(issued.status == 201, "\(issued.output)")
        // Revoked in a copy of the configuration: the suite's server keeps accepting the leaf.
        let copy = try world.configuration.copy()
        let serial = try world.context.pki.serialHex(Self.leaf)
        let state = world.context.server.stateDirectory.path
        let withState = try await anchorageCommand(
            ["revoke", "--serial", serial, "--state-dir", state], configuration: copy)
        #expect(withState.status == 0, "\(withState.summary)")
        #expect(withState.stderr.contains("live brokered session(s)"), "\(withState.stderr)")
        #expect(withState.stderr.contains("arn:aws:sts::\(ARNs.account):assumed-role/brokered/"), "\(withState.stderr)")
        #expect(withState.stderr.contains("aws:TokenIssueTime"), "\(withState.stderr)")

        let general = try await anchorageCommand(["revoke", "--role", ARNs.role("brokered")], configuration: copy)
        #expect(general.status == 0, "\(general.summary)")
        #expect(general.stderr.contains("brokered through an upstream STS"), "\(general.stderr)")

        // A certificate with no brokered session: nothing to warn about.
        let other = try await anchorageCommand(
            ["revoke", "--serial", try world.context.pki.serialHex("leaf-ec-p256"), "--state-dir", state],
            configuration: copy)
        #expect(other.status == 0, "\(other.summary)")
        #expect(!other.stderr.contains("brokered"), "\(other.stderr)")
    }

    @Test("a credentials file that is missing or readable by others is a validate error; explain says brokered")
    func validateAndExplain() async throws {
        let world = try await UpstreamWorld.shared.get()
        let explain = try await anchorageCommand(
            [
                "explain", "--certificate", world.context.pki.certificate(Self.leaf).path, "--trust-anchor",
                ARNs.rsaRootAnchor, "--profile", Self.profileArn, "--role", ARNs.role("brokered"),
            ], configuration: world.configuration)
        #expect(explain.status == 0, "\(explain.summary)")
        // The role is named "brokered" too: look for the upstream line itself.
        #expect(
            explain.stdout.contains("credentials come from AssumeRole at upstream moto (\(world.recorderURL)/)"),
            "\(explain.stdout)")

        let copy = try world.configuration.copy()
        let credentials = copy.root.appendingPathComponent("upstream-keys.json")
        try Data(#"{"AccessKeyId": "AKIAVALIDATE00000001", "SecretAccessKey": "s"}"#.utf8).write(to: credentials)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: credentials.path)
        try UpstreamWorld.writeUpstream("moto", endpoint: world.recorderURL, credentials: credentials, in: copy)
        let valid = try await anchorageCommand(["validate"], configuration: copy)
        #expect(valid.status == 0, "\(valid.summary)")
        #expect(valid.stdout.contains(", 5 upstream(s)"), "\(valid.stdout)")

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: credentials.path)
        let loose = try await anchorageCommand(["validate"], configuration: copy)
        #expect(loose.status == 1)
        #expect(loose.stderr.contains(credentials.path) && loose.stderr.contains("mode 644"), "\(loose.stderr)")

        try FileManager.default.removeItem(at: credentials)
        let missing = try await anchorageCommand(["validate"], configuration: copy)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("missing or unreadable"), "\(missing.stderr)")
    }
}

/// The keys `aws` is run with.
struct AWSKeys {
    var accessKeyId: String
    var secretAccessKey: String
    var sessionToken: String

    init(_ clientOutput: JSONValue) throws {
        guard let id = clientOutput["accessKeyId"]?.string, let secret = clientOutput["secretAccessKey"]?.string,
            let token = clientOutput["sessionToken"]?.string
        else { throw TestFailure("no credentials in \(clientOutput)") }
        (accessKeyId, secretAccessKey, sessionToken) = (id, secret, token)
    }
}

/// The upstream process, the configuration with brokered roles and the server, made once for the suite.
actor UpstreamWorld {
    static let shared = UpstreamWorld()
    private var made: Task<World, any Error>?

    func get() async throws -> World {
        if made == nil { made = Task { try await Self.make() } }
        return try await made!.value
    }

    struct World: Sendable {
        let context: SharedServer.Context
        let upstream: BackgroundProcess
        let recordFile: URL
        let keysFile: URL
        let credentialsFile: URL
        let motoPort: Int
        let recorderPort: Int
        var configuration: TestConfiguration { context.configuration }
        var motoURL: String { "http://127.0.0.1:\(motoPort)" }
        var recorderURL: String { "http://127.0.0.1:\(recorderPort)" }

        /// Every key id the recorder knows (the keys file), for the signature check.
        var knownKeyIds: Set<String> {
            guard let data = try? Data(contentsOf: keysFile),
                let keys = try? JSONValue.parse(String(decoding: data, as: UTF8.self)),
                let object = keys.object
            else { return [] }
            return Set(object.keys)
        }

        func records() throws -> [JSONValue] {
            let text = (try? String(contentsOf: recordFile, encoding: .utf8)) ?? ""
            return try text.split(separator: "\n").map { try JSONValue.parse(String($0)) }
        }

        func auditLines() throws -> [JSONValue] {
            let text = (try? String(contentsOf: context.server.auditLogURL, encoding: .utf8)) ?? ""
            return try text.split(separator: "\n").map { try JSONValue.parse(String($0)) }
        }

        func auditLine(_ requestId: String?) throws -> JSONValue? {
            guard let requestId else { return nil }
            return try auditLines().first { $0["requestId"]?.string == requestId }
        }

        func raw(role: String) async throws -> RawResponse {
            try await Clients.raw(
                RawRequest(
                    leaf: UpstreamBrokerTests.leaf, profileArn: UpstreamBrokerTests.profileArn,
                    roleArn: ARNs.role(role)), context)
        }

        /// The environment `aws` runs in: no profile, no files of the machine's, the default region.
        var awsEnvironment: [String: String] {
            var environment = Clients.environment(caBundle: context.pki.caBundle)
            for key in ["AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] {
                environment[key] = nil
            }
            environment["AWS_CONFIG_FILE"] = "/dev/null"
            environment["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
            environment["AWS_DEFAULT_REGION"] = "us-east-1"
            environment["AWS_EC2_METADATA_DISABLED"] = "true"
            return environment
        }

        /// `aws --endpoint-url <moto> <arguments> --output json` with `keys`; its JSON output.
        func aws(_ arguments: [String], _ keys: AWSKeys) async throws -> JSONValue {
            var environment = awsEnvironment
            environment["AWS_ACCESS_KEY_ID"] = keys.accessKeyId
            environment["AWS_SECRET_ACCESS_KEY"] = keys.secretAccessKey
            environment["AWS_SESSION_TOKEN"] = keys.sessionToken
            let result = try await runProcess(
                "/usr/bin/env", ["aws", "--endpoint-url", motoURL, "--output", "json"] + arguments,
                environment: environment, timeout: 60)
            guard result.status == 0 else { throw TestFailure("aws failed: \(result.summary)") }
            let text = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? .null : try JSONValue.parse(text)
        }

        /// Writes new keys to the credentials file (atomically, mode 0600) and tells the recorder; returns the
        /// new key id.
        func rotateKeys() throws -> String {
            let id = "AKIA" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).uppercased()
            let secret = UUID().uuidString
            var keys = (try? JSONSerialization.jsonObject(with: Data(contentsOf: keysFile))) as? [String: String] ?? [:]
            keys[id] = secret
            try JSONSerialization.data(withJSONObject: keys).write(to: keysFile)
            try UpstreamWorld.writeCredentials(id: id, secret: secret, to: credentialsFile)
            return id
        }
    }

    static func writeCredentials(id: String, secret: String, to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".keys-\(UUID().uuidString)")
        try JSONSerialization.data(withJSONObject: ["AccessKeyId": id, "SecretAccessKey": secret]).write(to: temporary)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: temporary.path)
        guard rename(temporary.path, url.path) == 0 else { throw TestFailure("rename \(temporary.path)") }
    }

    static func writeUpstream(
        _ name: String, endpoint: String, credentials: URL, timeout: Int? = nil, caBundle: URL? = nil,
        in configuration: TestConfiguration
    ) throws {
        let directory = configuration.profiles.appendingPathComponent("upstreams")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var document: [String: Any] = [
            "Endpoint": endpoint, "Region": "us-east-1", "CredentialsFile": credentials.path,
        ]
        if let timeout { document["TimeoutSeconds"] = timeout }
        if let caBundle { document["CABundle"] = caBundle.path }
        try TestConfiguration.writeJSON(document, to: directory.appendingPathComponent("\(name).json"))
    }

    private static func make() async throws -> World {
        let probe = try await runProcess("/usr/bin/env", ["python3", "-c", "import moto.server, botocore, flask"])
        guard probe.status == 0 else {
            throw TestFailure(
                "moto's server is not installed: python3 -m pip install 'moto[server]' (Tests/run-all installs it)\n"
                    + probe.stderr)
        }
        let pki = try FixturePKI.shared()
        let configuration = try await TestConfiguration.write(pki: pki)
        let root = configuration.root
        let recordFile = root.appendingPathComponent("upstream-requests.jsonl")
        let keysFile = root.appendingPathComponent("upstream-known-keys.json")
        let credentialsFile = root.appendingPathComponent("upstream-credentials.json")
        let firstKey = "AKIAFIRSTKEY00000001"
        try JSONSerialization.data(withJSONObject: [firstKey: "first-secret"]).write(to: keysFile)
        try writeCredentials(id: firstKey, secret: "first-secret", to: credentialsFile)

        let upstream = try BackgroundProcess(
            "/usr/bin/env",
            [
                "python3", try Clients.scriptsDirectory().appendingPathComponent("sts_upstream.py").path,
                "--record", recordFile.path, "--keys", keysFile.path, "--tls-certificate",
                pki.certificate("server").path, "--tls-private-key", pki.privateKey("server").path,
            ],
            environment: Clients.environment(caBundle: pki.caBundle))
        // Generous: moto's imports alone take seconds, and much longer while the whole suite runs beside them.
        let line = try await upstream.waitForLine(prefix: "{", seconds: 120)
        guard let ports = try? JSONValue.parse("{" + line), let moto = ports["moto"]?.number,
            let recorder = ports["recorder"]?.number, let recorderTLS = ports["recorderTLS"]?.number
        else { throw TestFailure("sts_upstream.py printed \(line); stderr: \(upstream.stderr)") }

        // A port nothing listens on: the "down" upstream.
        let closed = try await runProcess(
            "/usr/bin/env",
            [
                "python3", "-c",
                "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])",
            ])
        let closedPort = closed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try writeUpstream(
            "moto", endpoint: "http://127.0.0.1:\(Int(recorder))", credentials: credentialsFile, in: configuration)
        try writeUpstream(
            "down", endpoint: "http://127.0.0.1:\(closedPort)", credentials: credentialsFile, timeout: 3,
            in: configuration)
        try writeUpstream(
            "slow", endpoint: "http://127.0.0.1:\(Int(recorder))", credentials: credentialsFile, timeout: 2,
            in: configuration)
        // TLS, verified against the fixture CA bundle; and against a CA that did not sign the server certificate.
        try writeUpstream(
            "moto-tls", endpoint: "https://127.0.0.1:\(Int(recorderTLS))", credentials: credentialsFile,
            caBundle: pki.caBundle, in: configuration)
        try writeUpstream(
            "untrusted-tls", endpoint: "https://127.0.0.1:\(Int(recorderTLS))", credentials: credentialsFile,
            caBundle: pki.certificate("root-rsa"), in: configuration)

        let roles: [(name: String, ou: String, upstream: String)] = [
            ("brokered", "web", "moto"), ("brokered-ops", "ops", "moto"), ("upstream-refused", "web", "moto"),
            ("upstream-throttled", "web", "moto"), ("brokered-down", "web", "down"), ("upstream-silent", "web", "slow"),
            ("brokered-tls", "web", "moto-tls"), ("brokered-untrusted", "web", "untrusted-tls"),
        ]
        for role in roles {
            try TestConfiguration.writeJSON(
                [
                    "Arn": ARNs.role(role.name), "MaxSessionDuration": 3600, "Upstream": role.upstream,
                    "AssumeRolePolicyDocument": [
                        "Version": "2012-10-17",
                        "Statement": [
                            [
                                "Effect": "Allow", "Principal": ["Service": "rolesanywhere.amazonaws.com"],
                                "Action": TestConfiguration.trustActions,
                                "Condition": ["StringEquals": ["aws:PrincipalTag/x509Subject/OU": role.ou]],
                            ]
                        ],
                    ],
                ], to: configuration.profiles.appendingPathComponent("roles/\(role.name).json"))
        }
        try TestConfiguration.writeJSON(
            [
                "profileArn": UpstreamBrokerTests.profileArn, "enabled": true,
                "roleArns": roles.map { ARNs.role($0.name) },
                "durationSeconds": 3600, "acceptRoleSessionName": true,
                "sessionPolicy": UpstreamBrokerTests.sessionPolicy,
                "managedPolicyArns": [UpstreamBrokerTests.managedPolicyArn],
            ], to: configuration.profiles.appendingPathComponent("brokered.json"))
        let validate = try await anchorageCommand(["validate"], configuration: configuration)
        guard validate.status == 0 else { throw TestFailure("the brokered configuration: \(validate.summary)") }
        let server = try await AnchorageServerProcess.start(configuration: configuration, pki: pki)
        return World(
            context: SharedServer.Context(pki: pki, configuration: configuration, server: server), upstream: upstream,
            recordFile: recordFile, keysFile: keysFile, credentialsFile: credentialsFile, motoPort: Int(moto),
            recorderPort: Int(recorder))
    }
}
