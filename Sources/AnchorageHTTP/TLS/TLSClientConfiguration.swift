/// How `HTTPClientConnection` speaks TLS.
public struct TLSClientConfiguration: Sendable {
    /// PEM file of trusted CA certificates; `nil` uses the system default paths (``defaultTrustPaths``). Its
    /// certificates are parsed only when a chain needs them (see ``DefaultTrustPaths`` and the "Trust store" article).
    public var caFile: String?
    /// The default paths used when ``caFile`` is nil; `nil` resolves them from this process's environment as
    /// OpenSSL does (``DefaultTrustPaths/process``). Set by tests, which must not change the process environment.
    public var defaultTrustPaths: DefaultTrustPaths?
    /// Verify the chain and the server's name (or IP address). Off only for tests.
    public var verifyPeer: Bool = true
    /// The name to verify and, when it is a DNS name, to send as SNI; defaults to the host connected to.
    public var serverName: String?
    /// Lowest protocol version offered.
    public var minimumVersion: TLSProtocolVersion = .tls12
    /// Highest protocol version offered; `nil` means the library's highest.
    public var maximumVersion: TLSProtocolVersion?
    /// PEM files of a client certificate (with its chain) and its private key, for servers that ask for
    /// one (mutual TLS); both or neither.
    public var certificateFile: String?
    public var privateKeyFile: String?

    /// A configuration; see the properties.
    public init(
        caFile: String? = nil, verifyPeer: Bool = true, serverName: String? = nil,
        minimumVersion: TLSProtocolVersion = .tls12, maximumVersion: TLSProtocolVersion? = nil,
        certificateFile: String? = nil, privateKeyFile: String? = nil, defaultTrustPaths: DefaultTrustPaths? = nil
    ) {
        self.defaultTrustPaths = defaultTrustPaths
        self.caFile = caFile
        self.verifyPeer = verifyPeer
        self.serverName = serverName
        self.minimumVersion = minimumVersion
        self.maximumVersion = maximumVersion
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
    }
}
