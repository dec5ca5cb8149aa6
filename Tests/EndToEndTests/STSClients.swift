import AnchorageTestSupport
import Foundation

/// Session credentials issued by CreateSession (through the published Python client).
struct SessionCredentials: Sendable {
    var accessKeyId: String
    var secretAccessKey: String
    var sessionToken: String
}

/// The STS-side clients: the AWS CLI, boto3/botocore (`Tests/Scripts/sts_client.py`) and `anchorage revoke`.
enum STSClients {
    static func credentials(
        leaf: String = "leaf-ec-p256", roleArn: String = ARNs.webReader, _ context: SharedServer.Context
    ) async throws -> SessionCredentials {
        let out = try await Clients.pythonSession(leaf: leaf, roleArn: roleArn, context)
        guard out["ok"]?.bool == true, let id = out["accessKeyId"]?.string, let secret = out["secretAccessKey"]?.string,
            let token = out["sessionToken"]?.string
        else { throw TestFailure("CreateSession for \(leaf) failed: \(out)") }
        return SessionCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: token)
    }

    static func endpointURL(_ context: SharedServer.Context) -> String { "https://\(context.server.endpoint)" }

    /// The environment an operator would set: credentials, the private CA, a region, and no ambient AWS configuration.
    static func awsEnvironment(_ credentials: SessionCredentials, _ context: SharedServer.Context, region: String)
        -> [String: String]
    {
        var env = Clients.environment(caBundle: context.pki.caBundle)
        for key in env.keys where key.hasPrefix("AWS_") && key != "AWS_CA_BUNDLE" { env.removeValue(forKey: key) }
        env["AWS_ACCESS_KEY_ID"] = credentials.accessKeyId
        env["AWS_SECRET_ACCESS_KEY"] = credentials.secretAccessKey
        env["AWS_SESSION_TOKEN"] = credentials.sessionToken
        env["AWS_DEFAULT_REGION"] = region
        env["AWS_CONFIG_FILE"] = "/dev/null"
        env["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        return env
    }

    /// `aws sts get-caller-identity --endpoint-url https://127.0.0.1:PORT --output json`.
    static func awsCLI(_ credentials: SessionCredentials, _ context: SharedServer.Context, region: String = "eu-west-1")
        async throws -> ProcessResult
    {
        try await runProcess(
            "/usr/bin/env",
            ["aws", "sts", "get-caller-identity", "--endpoint-url", endpointURL(context), "--output", "json"],
            environment: awsEnvironment(credentials, context, region: region), timeout: 60)
    }

    /// `Tests/Scripts/sts_client.py <subcommand>` with the credentials and endpoint; its JSON output.
    static func script(
        _ subcommand: String, _ credentials: SessionCredentials?, _ context: SharedServer.Context,
        _ arguments: [String] = []
    ) async throws -> JSONValue {
        var args = [subcommand]
        if let credentials {
            args += [
                "--endpoint", endpointURL(context), "--access-key-id", credentials.accessKeyId,
                "--secret-access-key", credentials.secretAccessKey, "--session-token", credentials.sessionToken,
                "--ca-bundle", context.pki.caBundle.path,
            ]
        }
        let result = try await Clients.python("sts_client.py", args + arguments, caBundle: context.pki.caBundle)
        guard result.status == 0, let line = result.stdout.split(separator: "\n").last,
            let out = try? JSONValue.parse(String(line))
        else { throw TestFailure("sts_client.py \(subcommand) failed: \(result.summary)") }
        return out
    }

    /// `anchorage <arguments>` (e.g. `revoke --pki …`).
    static func anchorage(_ arguments: [String]) async throws -> ProcessResult {
        try await runProcess(try AnchorageBinary.url().path, arguments, timeout: 30)
    }

    /// `openssl x509 -noout -serial -in <leaf>`: `serial=7A71…`, exactly what an operator would paste.
    static func opensslSerial(_ leaf: String, _ pki: FixturePKI) async throws -> String {
        let r = try await runProcess(
            "/usr/bin/env", ["openssl", "x509", "-noout", "-serial", "-in", pki.certificate(leaf).path])
        guard r.status == 0 else { throw TestFailure("openssl x509 -serial failed: \(r.summary)") }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Audit lines for STS operations of one access key.
    static func auditLines(_ server: AnchorageServerProcess, accessKeyId: String) throws -> [JSONValue] {
        try server.auditEntries().filter {
            $0["accessKeyId"]?.string == accessKeyId && $0["operation"]?.string != "CreateSession"
        }
    }
}

/// A token keyring file for `--token-keyring`, mode 0600, so a test can seal tokens the server accepts.
struct TestKeyring {
    let url: URL

    static func write(in directory: URL) throws -> TestKeyring {
        var bytes = [UInt8](repeating: 0, count: 32)
        for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255) }
        let url = directory.appendingPathComponent("token-keyring.json")
        let json = #"{"keys":[{"id":"k-e2e","secret":"\#(Data(bytes).base64EncodedString())"}]}"#
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        guard
            FileManager.default.createFile(
                atPath: url.path, contents: Data(json.utf8), attributes: [.posixPermissions: 0o600])
        else { throw TestFailure("cannot write \(url.path)") }
        return TestKeyring(url: url)
    }

    /// A session token for `claims` (SessionClaims' JSON members), sealed with this keyring.
    func seal(_ claims: [String: Any], _ context: SharedServer.Context) async throws -> String {
        let text = String(decoding: try JSONSerialization.data(withJSONObject: claims), as: UTF8.self)
        let out = try await STSClients.script("seal-token", nil, context, ["--keyring", url.path, "--claims", text])
        guard let token = out["token"]?.string else { throw TestFailure("seal-token: \(out)") }
        return token
    }
}
