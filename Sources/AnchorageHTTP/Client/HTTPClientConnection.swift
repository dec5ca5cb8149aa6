internal import AnchorageLocking
internal import COpenSSL
internal import Dispatch
internal import Glibc

/// Blocking HTTP/1.1 client connection for tests, load scripts and the credential helper.
///
/// One request at a time (or bytes framed by the caller), keep-alive by default. Timeouts are socket
/// options here: a blocking client has no loop to keep timers on. Answers are read by
/// `HTTPResponseParser` within `HTTPResponseLimits`; an optional overall deadline bounds the whole
/// connection (connect, TLS, every request), however slowly a server trickles its bytes.
///
/// Through a proxy: connect to the proxy without TLS, `send` a `CONNECT`, then `startTLS` with the
/// endpoint's name; every later byte is read through TLS.
public final class HTTPClientConnection {
    private let fd: Int32
    private var context: OpaquePointer?
    private var ssl: OpaquePointer?
    /// The context's lazily parsed CA file (CTrustIndex), owned by `context`.
    private var trustLookup: OpaquePointer?
    private let hostHeader: String
    private var parser: HTTPResponseParser
    private var endOfStream = false
    private var closed = false
    private let deadline: DeadlineWatchdog?
    /// Methods of requests sent with `send` whose responses are not read yet; HEAD responses have no body.
    private var pendingMethods: [String] = []

    /// Connects to `host`:`port`, with TLS when `tls` is set; `timeout` bounds connect, each read and
    /// each write; `deadline` (seconds from now), when set, bounds everything this connection does:
    /// when it passes, the socket is shut down and the blocked call fails.
    public init(
        host: String, port: Int, tls: TLSClientConfiguration?, timeout: Double = 30,
        limits: HTTPResponseLimits = .standard, deadline: Double? = nil
    ) throws {
        let address = try SocketAddress.resolve(host: host, port: port, passive: false)
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HTTPError("socket: \(errnoText())") }
        self.fd = fd
        parser = HTTPResponseParser(limits: limits)
        self.deadline = deadline.map { DeadlineWatchdog(fd: fd, seconds: $0) }
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        hostHeader = port == (tls == nil ? 80 : 443) ? bracketed : "\(bracketed):\(port)"
        do {
            // No single call may outlast the deadline either (the watchdog cannot interrupt connect).
            let bound = min(timeout, deadline ?? timeout)
            var interval = timeval(tv_sec: Int(bound), tv_usec: Int((bound - bound.rounded(.down)) * 1e6))
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            var storage = address.storage
            let connected = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, address.length) }
            }
            guard connected == 0 else { throw failure("connect \(host):\(port): \(errnoText())") }
            if let tls { try startTLS(tls, host: host) }
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// Starts TLS on the connected socket, verifying `host` (or `configuration.serverName`): at
    /// connect time, or on a tunnel after the proxy's `CONNECT` answer. A byte that arrived before TLS
    /// and is still unread is an error: it did not come from the endpoint, and nothing but TLS may
    /// be read from a tunnel.
    public func startTLS(_ configuration: TLSClientConfiguration, host: String) throws {
        guard !closed, ssl == nil else { throw HTTPError("TLS cannot start on this connection") }
        try expectNothingBuffered()
        // OpenSSL writes with write(2), not send(MSG_NOSIGNAL): a server that resets would
        // otherwise kill the calling process.
        signal(SIGPIPE, SIG_IGN)
        ERR_clear_error()
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw TLSError.fromQueue("SSL_CTX_new") }
        self.context = context
        _ = COpenSSL_SSL_CTX_set_min_proto_version(context, configuration.minimumVersion.rawValue)
        if let maximum = configuration.maximumVersion {
            _ = COpenSSL_SSL_CTX_set_max_proto_version(context, maximum.rawValue)
        }
        if configuration.verifyPeer {
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
            trustLookup = try TrustStore.load(
                caFile: configuration.caFile, defaultPaths: configuration.defaultTrustPaths ?? .process,
                into: context)
        } else {
            SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        }
        if let certificateFile = configuration.certificateFile {
            guard SSL_CTX_use_certificate_chain_file(context, certificateFile) == 1,
                SSL_CTX_use_PrivateKey_file(context, configuration.privateKeyFile ?? certificateFile, SSL_FILETYPE_PEM)
                    == 1
            else { throw TLSError.fromQueue("load the client certificate \(certificateFile)") }
        }
        guard let ssl = SSL_new(context) else { throw TLSError.fromQueue("SSL_new") }
        self.ssl = ssl
        SSL_set_fd(ssl, fd)
        _ = COpenSSL_SSL_set_alpn_http11(ssl)
        let name = configuration.serverName ?? host
        let isIP = Self.isIPLiteral(name)
        if configuration.verifyPeer {
            let ok =
                isIP ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) : SSL_set1_host(ssl, name)
            guard ok == 1 else { throw TLSError.fromQueue("set expected peer name \(name)") }
        }
        if !isIP { _ = COpenSSL_SSL_set_tlsext_host_name(ssl, name) }
        let connected = SSL_connect(ssl) == 1
        try TrustStore.checkParsed(trustLookup)
        guard connected else {
            if deadline?.expired == true { throw failure("") }
            var error = TLSError.fromQueue("handshake with \(host)")
            let verify = SSL_get_verify_result(ssl)
            if verify != X509_V_OK {
                error.details.append(
                    String(decoding: Array(cStringBytes: X509_verify_cert_error_string(verify)), as: UTF8.self))
            }
            throw error
        }
    }

    /// The CA certificates this connection's trust store indexed and, of them, those it parsed (a chain asked for
    /// their subject); nil without peer verification.
    var trustedCertificateCounts: (indexed: Int, parsed: Int)? { trustLookup.map(TrustStore.counts) }

    /// Throws when bytes arrived that no request asked for yet (or the peer closed): after a proxy's
    /// `CONNECT` answer, such bytes come from the proxy, not from the endpoint.
    public func expectNothingBuffered() throws {
        guard parser.bufferedByteCount == 0, !endOfStream else {
            throw HTTPError("unexpected bytes after the proxy's CONNECT answer")
        }
    }

    private static func isIPLiteral(_ name: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, name, &v4) == 1 || inet_pton(AF_INET6, name, &v6) == 1
    }

    // MARK: - Requests

    /// Sends one request and reads its response, keeping the connection open. A `Host` header is added
    /// when absent; `Content-Length` is added unless a framing header is already present.
    public func send(method: String, target: String, headers: HTTPHeaders, body: [UInt8]) throws -> HTTPResponse {
        var out: [UInt8] = []
        out.reserveCapacity(256 + body.count)
        out.append(contentsOf: "\(method) \(target) HTTP/1.1\r\n".utf8)
        var headers = headers
        if !headers.contains(name: "Host") { headers.fields.insert((name: "Host", value: hostHeader), at: 0) }
        if !headers.contains(name: "Content-Length") && !headers.contains(name: "Transfer-Encoding")
            && (!body.isEmpty || !["GET", "HEAD", "DELETE", "OPTIONS", "CONNECT"].contains(method))
        {
            headers.add(name: "Content-Length", value: String(body.count))
        }
        for field in headers {
            out.append(contentsOf: "\(field.name): \(field.value)\r\n".utf8)
        }
        out.append(contentsOf: "\r\n".utf8)
        out.append(contentsOf: body)
        try sendRaw(out)
        pendingMethods.append(method)
        return try readResponse()
    }

    /// Writes `bytes` as they are (a request framed by the caller, or malformed input); read the answer with
    /// `readResponse()`.
    public func sendRaw(_ bytes: [UInt8]) throws {
        guard !closed else { throw HTTPError("connection closed") }
        var offset = 0
        while offset < bytes.count {
            let written: Int = bytes.withUnsafeBytes { raw in
                let base = raw.baseAddress! + offset
                let length = raw.count - offset
                if let ssl {
                    ERR_clear_error()
                    return Int(SSL_write(ssl, base, Int32(clamping: length)))
                }
                return Glibc.send(fd, base, length, Int32(MSG_NOSIGNAL))
            }
            if written <= 0 {
                if ssl == nil && written < 0 && errno == EINTR { continue }
                throw failure("write failed: \(errnoText())")
            }
            offset += written
        }
    }

    /// Reads the next response; interim 1xx responses are skipped. Fails when the answer breaks
    /// HTTP/1.1 framing or the connection's `HTTPResponseLimits`, or the deadline passes.
    public func readResponse() throws -> HTTPResponse {
        let method = pendingMethods.isEmpty ? "GET" : pendingMethods.removeFirst()
        while true {
            switch parser.next(method: method, endOfStream: endOfStream) {
            case .response(let response): return response
            case .failure(let message): throw failure(message)
            case .needMore: try fill()
            }
        }
    }

    /// Closes the connection (TLS close_notify first, best effort). Idempotent.
    public func close() {
        guard !closed else { return }
        closed = true
        if let ssl {
            ERR_clear_error()
            _ = SSL_shutdown(ssl)
            SSL_free(ssl)
            ERR_clear_error()
            self.ssl = nil
        }
        trustLookup = nil  // freed with the context
        if let context {
            SSL_CTX_free(context)
            self.context = nil
        }
        deadline?.disarm()
        if fd >= 0 { Glibc.close(fd) }
    }

    /// `message`, or the deadline's own error when the deadline ended the connection.
    private func failure(_ message: String) -> HTTPError {
        if let deadline, deadline.expired {
            return HTTPError("no complete answer within the \(deadline.seconds) s deadline")
        }
        return HTTPError(message)
    }

    // MARK: - Reading

    /// Hands more bytes to the parser, or marks the end of the stream.
    private func fill() throws {
        guard !closed else { throw HTTPError("connection closed") }
        guard !endOfStream else { throw failure("connection closed before a complete response") }
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count: Int = chunk.withUnsafeMutableBytes { raw in
                if let ssl {
                    ERR_clear_error()
                    return Int(SSL_read(ssl, raw.baseAddress, Int32(raw.count)))
                }
                return recv(fd, raw.baseAddress, raw.count, 0)
            }
            if count > 0 {
                parser.append(chunk[0..<count])
                return
            }
            if deadline?.expired == true { throw failure("") }
            if let ssl {
                let error = SSL_get_error(ssl, Int32(count))
                ERR_clear_error()
                if error == SSL_ERROR_ZERO_RETURN || (error == SSL_ERROR_SYSCALL && errno == 0) {
                    endOfStream = true
                    return
                }
                // A blocking socket with SO_RCVTIMEO surfaces its timeout as WANT_READ or as EAGAIN.
                if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE
                    || (error == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK))
                {
                    throw HTTPError("read timed out")
                }
                if error == SSL_ERROR_SYSCALL && errno == ECONNRESET {
                    endOfStream = true
                    return
                }
                throw HTTPError("TLS read failed (\(error))")
            }
            if count == 0 {
                endOfStream = true
                return
            }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: throw HTTPError("read timed out")
            case ECONNRESET:
                endOfStream = true
                return
            default: throw HTTPError("read failed: \(errnoText())")
            }
        }
    }
}

/// Ends a connection at its deadline: shuts the socket down (both ways), which wakes any read, write
/// or TLS handshake blocked on it. Disarmed before the descriptor is closed, so it never touches a
/// descriptor number that was reused.
private final class DeadlineWatchdog: Sendable {
    let seconds: Double
    private let fd: Int32
    private let state = Locked((armed: true, expired: false))

    init(fd: Int32, seconds: Double) {
        self.fd = fd
        self.seconds = seconds
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
            state.withLock { state in
                guard state.armed else { return }
                state.expired = true
                _ = shutdown(fd, Int32(SHUT_RDWR))
            }
        }
    }

    var expired: Bool { state.withLock { $0.expired } }

    func disarm() { state.withLock { $0.armed = false } }
}

extension Array where Element == UInt8 {
    init(cStringBytes pointer: UnsafePointer<CChar>?) {
        guard let pointer else {
            self = []
            return
        }
        self = UnsafeBufferPointer(start: pointer, count: strlen(pointer)).map { UInt8(bitPattern: $0) }
    }
}
