/// Everything an `HTTPServer` needs besides its handler.
public struct HTTPServerConfiguration: Sendable {
    /// Address to bind: an IPv4 or IPv6 literal, or `localhost` (bound as 127.0.0.1).
    public var host: String = "127.0.0.1"
    /// Port to bind; 0 picks an ephemeral port, reported by `HTTPServer.start()`.
    public var port: Int = 0
    /// TLS settings; `nil` serves plain HTTP.
    public var tls: TLSServerContext?
    /// Event loops (threads), each with its own listener and connections. Defaults to the core count.
    public var eventLoopCount: Int = HTTPServerConfiguration.processorCount
    /// Limit on request line plus headers; values below 32 KiB are raised to 32 KiB.
    public var maxHeaderBytes: Int = 64 * 1024
    /// Limit on the number of header fields.
    public var maxHeaderCount: Int = 100
    /// Limit on a request body, after de-chunking.
    public var maxBodyBytes: Int = 1 << 20
    /// Seconds from the first byte of a request (or from accept) until its header section must be complete.
    public var headerTimeout: Double = 10
    /// Seconds from the end of the header section until the body must be complete; also the write stall limit.
    public var bodyTimeout: Double = 30
    /// Seconds a keep-alive connection may sit between requests.
    public var idleTimeout: Double = 60
    /// Connections beyond this are closed as soon as they are accepted.
    public var maxConnections: Int = 10_000

    /// A configuration; every parameter defaults to the property's documented default.
    public init(
        host: String = "127.0.0.1", port: Int = 0, tls: TLSServerContext? = nil, eventLoopCount: Int? = nil,
        maxHeaderBytes: Int = 64 * 1024, maxHeaderCount: Int = 100, maxBodyBytes: Int = 1 << 20,
        headerTimeout: Double = 10, bodyTimeout: Double = 30, idleTimeout: Double = 60, maxConnections: Int = 10_000
    ) {
        self.host = host
        self.port = port
        self.tls = tls
        self.eventLoopCount = eventLoopCount ?? Self.processorCount
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
    }

    /// Cores this process may use, hence one loop per usable core: `ProcessorCount.active`.
    static var processorCount: Int { max(1, ProcessorCount.active) }

    var parserLimits: HTTPRequestParser.Limits {
        HTTPRequestParser.Limits(
            maxHeaderBytes: max(maxHeaderBytes, 32 * 1024), maxHeaderCount: max(maxHeaderCount, 1),
            maxBodyBytes: max(maxBodyBytes, 0))
    }
}
