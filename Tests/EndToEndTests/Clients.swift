import AnchorageTestSupport
import Foundation

/// What to send with `Tests/Scripts/raw_client.py` (Go-helper shaped: ARNs in the query string,
/// chunked body, signed `amz-sdk-*` headers). `arguments` carries the mutation flags.
struct RawRequest: Sendable {
    var leaf: String
    var chain: [String] = []
    var profileArn = ARNs.webProfile
    var roleArn = ARNs.webReader
    var trustAnchorArn = ARNs.rsaRootAnchor
    var arguments: [String] = []
}

struct RawResponse: Sendable {
    var status: Int
    var headers: [String: String]
    var body: String
    var json: JSONValue?
    var requestId: String?
    /// `X-Amzn-ErrorType` as sent (may carry a `:namespace` suffix).
    var errorType: String?
    var output: String
    /// With `--repeat N`: `{status, requestId, errorType, connection}` of every response on the connection.
    var responses: [JSONValue] = []

    /// The error code: `X-Amzn-ErrorType` before any ':'.
    var errorCode: String? { errorType.map { String($0.split(separator: ":", maxSplits: 1).first ?? "") } }
}

enum Clients {
    static func scriptsDirectory() throws -> URL {
        try FixturePKI.packageRoot().appendingPathComponent("Tests/Scripts")
    }

    /// The child's environment: the fixture CA bundle replaces whatever trust store the machine exports.
    static func environment(caBundle: URL) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        for key in ["AWS_CA_BUNDLE", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"] {
            env[key] = caBundle.path
        }
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["PYTHONUNBUFFERED"] = "1"
        return env
    }

    static func python(_ script: String, _ arguments: [String], caBundle: URL) async throws -> ProcessResult {
        let path = try scriptsDirectory().appendingPathComponent(script).path
        return try await runProcess(
            "/usr/bin/env", ["python3", path] + arguments, environment: environment(caBundle: caBundle), timeout: 60)
    }

    static func raw(_ request: RawRequest, _ context: SharedServer.Context) async throws -> RawResponse {
        let pki = context.pki
        var args = [
            "--endpoint", context.server.endpoint,
            "--ca-bundle", pki.caBundle.path,
            "--certificate", pki.certificate(request.leaf).path,
            "--private-key", pki.privateKey(request.leaf).path,
            "--profile-arn", request.profileArn,
            "--role-arn", request.roleArn,
            "--trust-anchor-arn", request.trustAnchorArn,
        ]
        for c in request.chain { args += ["--chain", pki.certificate(c).path] }
        if context.server.insecureHTTP { args.append("--insecure-http") }
        args += request.arguments
        let result = try await python("raw_client.py", args, caBundle: pki.caBundle)
        guard result.status == 0, let line = result.stdout.split(separator: "\n").last,
            let out = try? JSONValue.parse(String(line)), let status = out["status"]?.number
        else {
            throw TestFailure("raw_client.py failed: \(result.summary)")
        }
        var headers: [String: String] = [:]
        for (k, v) in out["headers"]?.object ?? [:] { headers[k] = v.string }
        let body = out["body"]?.string ?? ""
        let response = RawResponse(
            status: Int(status), headers: headers, body: body, json: out["json"].flatMap { $0 == .null ? nil : $0 },
            requestId: headers["x-amzn-requestid"], errorType: headers["x-amzn-errortype"], output: result.stdout,
            responses: out["responses"]?.array ?? [])
        if response.status == 201, let creds = response.json?["credentialSet"]?[0]?["credentials"] {
            IssuedSecrets.shared.record(creds["secretAccessKey"]?.string, creds["sessionToken"]?.string)
        }
        return response
    }

    /// Runs `Tests/Scripts/http_probe.py <subcommand> --endpoint … [--ca-bundle …|--insecure-http] <arguments>`
    /// and returns its JSON (see the script's docstring). A transport failure is returned, not thrown.
    static func probe(
        _ subcommand: String, _ arguments: [String], _ context: SharedServer.Context
    ) async throws -> JSONValue {
        var args = [subcommand, "--endpoint", context.server.endpoint]
        if context.server.insecureHTTP {
            if subcommand != "tls" { args.append("--insecure-http") }
        } else {
            args += ["--ca-bundle", context.pki.caBundle.path]
        }
        let result = try await python("http_probe.py", args + arguments, caBundle: context.pki.caBundle)
        guard let line = result.stdout.split(separator: "\n").last, let out = try? JSONValue.parse(String(line)) else {
            throw TestFailure("http_probe.py printed no JSON: \(result.summary)")
        }
        return out
    }

    /// Runs `Tests/Scripts/ra_session_client.py` (the published `iam-rolesanywhere-session` client).
    /// Returns its JSON: `{"ok":true,"accessKeyId",…}` or `{"ok":false,"status",…,"message"}`.
    static func pythonSession(
        leaf: String, chain: String? = nil, profileArn: String = ARNs.webProfile, roleArn: String = ARNs.webReader,
        trustAnchorArn: String = ARNs.rsaRootAnchor, extra: [String] = [], _ context: SharedServer.Context
    ) async throws -> JSONValue {
        let pki = context.pki
        var args = [
            "--endpoint", context.server.endpoint,
            "--ca-bundle", pki.caBundle.path,
            "--certificate", pki.certificate(leaf).path,
            "--private-key", pki.privateKey(leaf).path,
            "--profile-arn", profileArn,
            "--role-arn", roleArn,
            "--trust-anchor-arn", trustAnchorArn,
        ]
        if let chain { args += ["--certificate-chain", pki.certificate(chain).path] }
        args += extra
        let result = try await python("ra_session_client.py", args, caBundle: pki.caBundle)
        guard result.status == 0, let line = result.stdout.split(separator: "\n").last,
            let out = try? JSONValue.parse(String(line))
        else {
            throw TestFailure("ra_session_client.py failed: \(result.summary)")
        }
        if out["ok"]?.bool == true {
            IssuedSecrets.shared.record(out["secretAccessKey"]?.string, out["sessionToken"]?.string)
        }
        return out
    }

    /// Lowercase hex SHA-256 of a fixture certificate's DER (`openssl dgst`, so no hashing code here).
    static func certificateSHA256(_ name: String, _ pki: FixturePKI) async throws -> String {
        let tmp = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("anchorage-e2e-\(UUID().uuidString).der")
        try pki.der(name).write(to: tmp)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let r = try await runProcess("/usr/bin/env", ["openssl", "dgst", "-sha256", "-r", tmp.path])
        guard r.status == 0, let hex = r.stdout.split(separator: " ").first else {
            throw TestFailure("openssl dgst failed: \(r.summary)")
        }
        return hex.lowercased()
    }
}

/// Parses `YYYY-MM-DDTHH:MM:SSZ` (and fractional seconds, to be lenient).
func parseISO8601(_ s: String) -> Date? {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime]
    if let d = f.date(from: s) { return d }
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return f.date(from: s)
}
