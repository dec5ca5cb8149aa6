import AnchorageCore
import AnchorageCrypto
import AnchorageHTTP

/// How to reach the service.
public struct ClientTransportOptions: Sendable {
    public var endpoint: Endpoint
    /// PEM file of trusted CAs; nil uses OpenSSL's default paths.
    public var caFile: String?
    public var verifyPeer: Bool
    public var proxy: ProxySettings?
    /// Bounds connect, each read and each write.
    public var timeout: Double
    /// Bounds one whole attempt: connect (to the proxy and through it), TLS, the request and the
    /// complete answer, however slowly the server sends it. Each of the (at most 3) attempts has its own.
    public var attemptDeadline: Double
    /// What an answer may be: 64 KiB of headers, a 1 MiB body, 8 interim answers (an answer is about 2 KB).
    var limits = HTTPResponseLimits.standard

    public init(
        endpoint: Endpoint, caFile: String?, verifyPeer: Bool = true, proxy: ProxySettings? = nil, timeout: Double = 30,
        attemptDeadline: Double = ClientTransportOptions.defaultAttemptDeadline
    ) {
        self.endpoint = endpoint
        self.caFile = caFile
        self.verifyPeer = verifyPeer
        self.proxy = proxy
        self.timeout = timeout
        self.attemptDeadline = attemptDeadline
    }

    /// 30 seconds per attempt.
    public static let defaultAttemptDeadline: Double = 30
}

/// Calls CreateSession: loads the identity, signs, sends (with retries), parses.
public struct CreateSessionClient: Sendable {
    public static let version = "0.1.0"
    public static let userAgent = "anchorage-helper/\(version)"

    public var parameters: CreateSessionParameters
    public var identitySource: SigningIdentitySource
    public var transport: ClientTransportOptions
    public var retry: RetryPolicy
    /// Diagnostics (stderr): retries always, the signed request with `--debug`.
    public var log: @Sendable (String) -> Void
    public var debug: Bool

    public init(
        parameters: CreateSessionParameters, identitySource: SigningIdentitySource, transport: ClientTransportOptions,
        retry: RetryPolicy = .standard, debug: Bool = false, log: @escaping @Sendable (String) -> Void
    ) {
        self.parameters = parameters
        self.identitySource = identitySource
        self.transport = transport
        self.retry = retry
        self.debug = debug
        self.log = log
    }

    /// One CreateSession. The certificate and key files are read again on every call.
    public func createSession() throws -> SessionCredentials {
        let identity = try identitySource.load()
        let response = try retry.run(log: log) { () throws -> HTTPResponse in
            let request = try SignedCreateSessionRequest(
                parameters: parameters, identity: identity, endpoint: transport.endpoint,
                date: AmzDate(secondsSinceEpoch: SystemClock().seconds)!, userAgent: Self.userAgent)
            if debug {
                log("POST \(transport.endpoint)\(request.target)")
                log("canonical request:\n\(request.canonicalRequest)")
                log("string to sign:\n\(request.stringToSign)")
            }
            let response = try send(request)
            if debug { log("HTTP \(response.status), request id \(response.headers["x-amzn-RequestId"] ?? "-")") }
            if !(200..<300).contains(response.status) { throw Self.serviceError(response) }
            return response
        }
        let credentials = try Self.parseCredentials(response.body)
        // Expired on arrival: printing, writing or serving them would only make the SDK fail later,
        // and `update` would ask again at once, forever.
        guard credentials.expirationSeconds > SystemClock().seconds else {
            throw HelperError("the service returned credentials that have already expired (\(credentials.expiration))")
        }
        return credentials
    }

    private func send(_ request: SignedCreateSessionRequest) throws -> HTTPResponse {
        let tls = TLSClientConfiguration(caFile: transport.caFile, verifyPeer: transport.verifyPeer)
        let endpoint = transport.endpoint
        let headers = HTTPHeaders(request.headers)
        do {
            let connection =
                if let proxy = transport.proxy {
                    try ProxyTunnel.connect(
                        proxy: proxy, endpoint: endpoint, tls: tls, timeout: transport.timeout,
                        deadline: transport.attemptDeadline, limits: transport.limits)
                } else {
                    try HTTPClientConnection(
                        host: endpoint.host, port: endpoint.port, tls: endpoint.isTLS ? tls : nil,
                        timeout: transport.timeout, limits: transport.limits, deadline: transport.attemptDeadline)
                }
            defer { connection.close() }
            return try connection.send(
                method: request.method, target: request.target, headers: headers, body: request.body)
        } catch let error as HTTPError {
            throw TransportError(message: "\(endpoint): \(error.message)")
        } catch let error as TLSError {
            throw HelperError("\(endpoint): \(error)")
        }
    }

    /// The rest-json error: code from `X-Amzn-ErrorType` (before `:`), else the body's `__type`/`code`;
    /// message from `message`/`Message`.
    static func serviceError(_ response: HTTPResponse) -> ServiceError {
        let json = try? JSONParser.parse(response.body)
        var type =
            response.headers["X-Amzn-ErrorType"] ?? json?["__type"]?.stringValue ?? json?["code"]?.stringValue
            ?? "HTTP\(response.status)"
        if let colon = type.firstIndex(of: ":") { type = String(type[..<colon]) }
        if let hash = type.lastIndex(of: "#") { type = String(type[type.index(after: hash)...]) }
        let message =
            json?["message"]?.stringValue ?? json?["Message"]?.stringValue
            ?? String(decoding: response.body.prefix(512), as: UTF8.self)
        // Everything here is the server's text and goes to stderr: one line, no control characters.
        return ServiceError(
            status: response.status, type: TerminalText.escaped(String(type.prefix(128))),
            message: TerminalText.escaped(String(message.prefix(512))),
            requestId: response.headers["x-amzn-RequestId"].map { TerminalText.escaped(String($0.prefix(128))) })
    }

    /// `credentialSet[0].credentials` of a CreateSession response.
    public static func parseCredentials(_ body: [UInt8]) throws(HelperError) -> SessionCredentials {
        guard let json = try? JSONParser.parse(body), case .array(let set)? = json["credentialSet"],
            let first = set.first, let credentials = first["credentials"],
            let accessKeyId = credentials["accessKeyId"]?.stringValue,
            let secretAccessKey = credentials["secretAccessKey"]?.stringValue,
            let sessionToken = credentials["sessionToken"]?.stringValue,
            let expiration = credentials["expiration"]?.stringValue
        else { throw HelperError("the service's CreateSession response has no credentials") }
        return try SessionCredentials(
            accessKeyId: accessKeyId, secretAccessKey: secretAccessKey, sessionToken: sessionToken,
            expiration: expiration)
    }
}
