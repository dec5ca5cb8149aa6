import AnchorageCore
import AnchorageCrypto
import AnchorageHTTP
import AnchorageLocking
internal import Glibc

/// `serve`: IMDSv2 emulation on 127.0.0.1 (`PUT /latest/api/token`,
/// `GET /latest/meta-data/iam/security-credentials/[<role>]`) and, beyond the official helper, the ECS
/// container-credentials form (`GET /ecs/credentials` with `Authorization: <token>`).
///
/// Credentials are refreshed by a background loop 5 minutes before they expire, re-reading the
/// certificate and key files each time; the request handler only reads the cache, so it never blocks
/// the event loop. No credentials, or expired ones, are a 503 — never `"Code": "Success"`.
public final class MetadataServer: Sendable {
    public static let ecsPath = "/ecs/credentials"

    private let client: CreateSessionClient
    private let port: Int
    private let hopLimit: Int
    private let cache: CredentialCache
    private let handler: MetadataHandler
    private let log: @Sendable (String) -> Void
    private let containerTokenFromEnvironment: Bool

    public init(
        client: CreateSessionClient, port: Int, hopLimit: Int, refreshBefore: Int64, containerToken: String?,
        log: @escaping @Sendable (String) -> Void
    ) throws(HelperError) {
        self.client = client
        self.port = port
        self.hopLimit = hopLimit
        self.log = log
        cache = CredentialCache(refreshBefore: refreshBefore)
        let roleName =
            ARN(client.parameters.roleArn)?.resourceName.split(separator: "/").last.map(String.init)
            ?? client.parameters.roleArn
        containerTokenFromEnvironment = containerToken?.isEmpty == false
        let token = containerToken.flatMap { $0.isEmpty ? nil : $0 } ?? Base64.encode(SecureRandom.bytes(33))
        handler = MetadataHandler(
            cache: cache, roleName: roleName, roleArn: client.parameters.roleArn, containerToken: token,
            tokens: IMDSTokenStore())
    }

    /// Checks the files, starts listening, prints the environment to use on stdout (`announce`), then
    /// refreshes forever.
    public func run(announce: (String) -> Void) throws {
        _ = try client.identitySource.load()
        let server = HTTPServer(
            configuration: HTTPServerConfiguration(host: "127.0.0.1", port: port, eventLoopCount: 1), handler: handler)
        let bound: (host: String, port: Int)
        do {
            bound = try server.start()
        } catch {
            throw HelperError("cannot listen on 127.0.0.1:\(port): \(error)")
        }
        setListenerHopLimit(port: bound.port, hopLimit: hopLimit)
        let base = "http://127.0.0.1:\(bound.port)"
        let first = cache.refreshIfNeeded { try client.createSession() }
        if let error = cache.lastError { log("CreateSession failed: \(error); serving 503 until a refresh succeeds") }
        var lines = "export AWS_EC2_METADATA_SERVICE_ENDPOINT=\(base)/\n"
        lines += "export AWS_CONTAINER_CREDENTIALS_FULL_URI=\(base)\(Self.ecsPath)\n"
        if !containerTokenFromEnvironment {
            lines += "export AWS_CONTAINER_AUTHORIZATION_TOKEN=\(handler.containerToken)\n"
        }
        announce(lines)
        log("serving credentials for \(client.parameters.roleArn) on \(base)")
        var schedule = RefreshSchedule(refreshBefore: cache.refreshBefore, failureDelay: 5)
        pause(after: first, schedule: &schedule)
        while true {
            let wait = cache.secondsUntilRefresh
            if wait > 0 {
                sleep(UInt32(clamping: min(wait, 60)))
                continue
            }
            let succeeded = cache.refreshIfNeeded { try client.createSession() }
            if succeeded, let entry = cache.current() {
                log("refreshed credentials; they expire \(entry.credentials.expiration)")
            }
            pause(after: succeeded, schedule: &schedule)
        }
    }

    /// After a refresh: waits out a failure, or backs off when the new credentials are already due
    /// (the loop's own wait would then be 0). Otherwise the loop's wait until they are due follows.
    private func pause(after succeeded: Bool, schedule: inout RefreshSchedule) {
        if succeeded, let entry = cache.current() {
            let delay = schedule.afterSuccess(
                expiration: entry.credentials.expirationSeconds, now: SystemClock().seconds)
            guard delay.isBackoff else { return }
            log(
                "the new credentials are already due for refresh (--refresh-before \(cache.refreshBefore)); "
                    + "next refresh in \(SystemIO.fixed(delay.seconds, places: 1)) s")
            sleepSeconds(delay.seconds)
        } else {
            let valid = cache.current() != nil
            let delay = schedule.afterFailure()
            log(
                "refresh failed: \(cache.lastError ?? "?"); \(valid ? "keeping the previous credentials until they expire" : "no valid credentials"); retrying in \(SystemIO.fixed(delay, places: 1)) s"
            )
            sleepSeconds(delay)
        }
    }

    /// `--hop-limit`: the IP TTL of responses. Set on the listening socket, which accepted sockets
    /// inherit on Linux; the listener belongs to `HTTPServer`, so it is found by its bound port.
    private func setListenerHopLimit(port: Int, hopLimit: Int) {
        for fd in Int32(0)..<Int32(1024) {
            var listening: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) == 0, listening == 1 else { continue }
            var address = sockaddr_in()
            var addressLength = socklen_t(MemoryLayout<sockaddr_in>.size)
            let named = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &addressLength) }
            }
            guard named == 0, address.sin_family == sa_family_t(AF_INET),
                Int(UInt16(bigEndian: address.sin_port)) == port
            else { continue }
            var ttl = Int32(hopLimit)
            setsockopt(fd, Int32(IPPROTO_IP), IP_TTL, &ttl, socklen_t(MemoryLayout<Int32>.size))
        }
    }
}

/// IMDSv2 session tokens: at most 256 live ones (the earliest-expiring is evicted), each valid for its TTL.
final class IMDSTokenStore: Sendable {
    private let tokens = Locked([String: Int64]())

    func issue(ttl: Int, now: Int64) -> String {
        let token = Base64.encode(SecureRandom.bytes(75))
        tokens.withLock { tokens in
            tokens = tokens.filter { $0.value > now }
            if tokens.count >= 256, let oldest = tokens.min(by: { $0.value < $1.value }) {
                tokens.removeValue(forKey: oldest.key)
            }
            tokens[token] = now + Int64(ttl)
        }
        return token
    }

    /// Seconds the token has left, or nil when it is unknown or expired.
    func remaining(_ token: String, now: Int64) -> Int64? {
        tokens.withLock { tokens in
            guard let expiry = tokens[token], expiry > now else { return nil }
            return expiry - now
        }
    }
}

/// The routes of `serve`. Pure reads of the cache and token store: nothing here blocks.
struct MetadataHandler: HTTPHandler {
    let cache: CredentialCache
    let roleName: String
    let roleArn: String
    let containerToken: String
    let tokens: IMDSTokenStore
    var clock: any WallClock = SystemClock()

    static let tokenPaths: Set<String> = ["/latest/api/token", "/latest/api/token/"]
    static let rolesPaths: Set<String> = [
        "/latest/meta-data/iam/security-credentials", "/latest/meta-data/iam/security-credentials/",
    ]
    static let ttlHeader = "x-aws-ec2-metadata-token-ttl-seconds"

    /// Host names the emulation answers to. A web page whose own name resolves to 127.0.0.1 (DNS
    /// rebinding) sends its name in `Host` and is refused.
    static let allowedHosts: Set<String> = ["127.0.0.1", "localhost", "169.254.169.254"]

    /// Whether `Host` is one of `allowedHosts`, with or without a port.
    static func isAllowedHost(_ value: String?) -> Bool {
        guard let value else { return false }
        var host = Substring(value.lowercased())
        if let colon = host.lastIndex(of: ":") {
            guard host[host.index(after: colon)...].allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
            host = host[..<colon]
        }
        return allowedHosts.contains(String(host))
    }

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        let path = request.path
        guard Self.isAllowedHost(request.headers["Host"]) else { return text(400, "Host not allowed") }
        if Self.tokenPaths.contains(path) {
            guard request.method == "PUT" else { return text(405, "method not allowed") }
            guard !request.headers.contains(name: "X-Forwarded-For") else {
                return text(400, "forwarded requests are refused")
            }
            // As the real IMDS: a token PUT without a TTL is a bad request.
            guard let ttlText = request.headers[Self.ttlHeader] else { return text(400, "missing token TTL") }
            let ttl = Int(ttlText) ?? 0
            guard (1...21600).contains(ttl) else { return text(400, "invalid token TTL") }
            var response = text(200, tokens.issue(ttl: ttl, now: clock.seconds), newline: false)
            response.headers.add(name: Self.ttlHeader, value: String(ttl))
            return response
        }
        if path == MetadataServer.ecsPath {
            guard request.method == "GET" else { return text(405, "method not allowed") }
            guard let given = request.headers["Authorization"],
                ConstantTime.equals(Array(given.utf8), Array(containerToken.utf8))
            else { return text(401, "missing or wrong Authorization token") }
            guard let entry = cache.current() else { return unavailable() }
            let c = entry.credentials
            return json(
                200,
                "{\"AccessKeyId\":\(JSONWriter.quoted(c.accessKeyId)),\"SecretAccessKey\":\(JSONWriter.quoted(c.secretAccessKey)),"
                    + "\"Token\":\(JSONWriter.quoted(c.sessionToken)),\"Expiration\":\(JSONWriter.quoted(c.expiration)),"
                    + "\"RoleArn\":\(JSONWriter.quoted(roleArn))}")
        }
        let rolesPrefix = "/latest/meta-data/iam/security-credentials/"
        guard Self.rolesPaths.contains(path) || path.hasPrefix(rolesPrefix) else { return text(404, "not found") }
        guard request.method == "GET" else { return text(405, "method not allowed") }
        guard let token = request.headers["x-aws-ec2-metadata-token"] else { return text(401, "no token provided") }
        guard let remaining = tokens.remaining(token, now: clock.seconds) else {
            return text(401, "invalid token provided")
        }
        var response: HTTPResponse
        if Self.rolesPaths.contains(path) {
            response = text(200, roleName, newline: false)
        } else {
            var name = path.dropFirst(rolesPrefix.count)
            if name.hasSuffix("/") { name = name.dropLast() }
            guard name == roleName else { return text(404, "not found") }
            guard let entry = cache.current() else { return unavailable() }
            let c = entry.credentials
            response = json(
                200,
                "{\"Code\":\"Success\",\"LastUpdated\":\(JSONWriter.quoted(UTCTimestamp.iso8601(entry.lastUpdated))),"
                    + "\"Type\":\"AWS-HMAC\",\"AccessKeyId\":\(JSONWriter.quoted(c.accessKeyId)),"
                    + "\"SecretAccessKey\":\(JSONWriter.quoted(c.secretAccessKey)),\"Token\":\(JSONWriter.quoted(c.sessionToken)),"
                    + "\"Expiration\":\(JSONWriter.quoted(c.expiration))}")
        }
        response.headers.add(name: Self.ttlHeader, value: String(remaining))
        return response
    }

    private func unavailable() -> HTTPResponse {
        let reason = cache.lastError ?? "no credentials yet"
        return json(503, "{\"Code\":\"CredentialsUnavailable\",\"Message\":\(JSONWriter.quoted(reason))}")
    }

    private func text(_ status: Int, _ body: String, newline: Bool = true) -> HTTPResponse {
        HTTPResponse(
            status: status, headers: ["Content-Type": "text/plain"], body: Array((newline ? body + "\n" : body).utf8))
    }

    private func json(_ status: Int, _ body: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: Array(body.utf8))
    }
}
