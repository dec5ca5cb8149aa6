import AnchorageCore
import AnchorageCrypto
import AnchorageHTTP
import Foundation

/// Temporary credentials as CreateSession returns them.
public struct SessionCredentials: Sendable, Equatable {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String
    /// Copied verbatim from the service (`YYYY-MM-DDTHH:MM:SSZ`).
    public var expiration: String
    /// `expiration` as seconds since the epoch.
    public var expirationSeconds: Int64

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String, expiration: String)
        throws(HelperError)
    {
        guard let seconds = parseTimestamp(expiration) else {
            throw HelperError("the service returned an unreadable expiration \(expiration)")
        }
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
        self.expirationSeconds = seconds
    }

    /// The `credential_process` line: `{"Version":1,"AccessKeyId",…,"Expiration"}`.
    public var credentialProcessJSON: String {
        "{\"Version\":1,\"AccessKeyId\":\(JSONWriter.quoted(accessKeyId)),"
            + "\"SecretAccessKey\":\(JSONWriter.quoted(secretAccessKey)),"
            + "\"SessionToken\":\(JSONWriter.quoted(sessionToken)),\"Expiration\":\(JSONWriter.quoted(expiration))}"
    }
}

/// How to reach the service.
public struct ClientTransportOptions: Sendable {
    public var endpoint: Endpoint
    /// PEM file of trusted CAs; nil uses OpenSSL's default paths.
    public var caFile: String?
    public var verifyPeer: Bool
    public var proxy: ProxySettings?
    /// Bounds connect, each read and each write.
    public var timeout: Double

    public init(
        endpoint: Endpoint, caFile: String?, verifyPeer: Bool = true, proxy: ProxySettings? = nil, timeout: Double = 30
    ) {
        self.endpoint = endpoint
        self.caFile = caFile
        self.verifyPeer = verifyPeer
        self.proxy = proxy
        self.timeout = timeout
    }
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
        return try Self.parseCredentials(response.body)
    }

    private func send(_ request: SignedCreateSessionRequest) throws -> HTTPResponse {
        let tls = TLSClientConfiguration(caFile: transport.caFile, verifyPeer: transport.verifyPeer)
        let endpoint = transport.endpoint
        let headers = HTTPHeaders(request.headers)
        do {
            if let proxy = transport.proxy {
                let tunnel = try ProxyTunnel(proxy: proxy, endpoint: endpoint, tls: tls, timeout: transport.timeout)
                defer { tunnel.close() }
                return try tunnel.send(
                    method: request.method, target: request.target, headers: headers, body: request.body)
            }
            let connection = try HTTPClientConnection(
                host: endpoint.host, port: endpoint.port, tls: endpoint.isTLS ? tls : nil, timeout: transport.timeout)
            defer { connection.close() }
            return try connection.send(
                method: request.method, target: request.target, headers: headers, body: request.body)
        } catch let error as HTTPError {
            throw TransportError(message: "\(endpoint): \(error.message)")
        } catch let error as TLSError {
            throw HelperError("\(endpoint): \(error)")
        } catch let error as TunnelTLSError {
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
        return ServiceError(
            status: response.status, type: type, message: message, requestId: response.headers["x-amzn-RequestId"])
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

/// Seconds since the epoch of `YYYY-MM-DDTHH:MM:SS[.fff]Z`.
func parseTimestamp(_ text: String) -> Int64? {
    let bytes = Array(text.utf8)
    guard bytes.count >= 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
        bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
        bytes.last == UInt8(ascii: "Z")
    else { return nil }
    func number(_ range: Range<Int>) -> Int? { Int(String(decoding: bytes[range], as: UTF8.self)) }
    guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
        let minute = number(14..<16), let second = number(17..<19)
    else { return nil }
    return UTCTimestamp.days(year: year, month: month, day: day) * 86400 + Int64(hour * 3600 + minute * 60 + second)
}
