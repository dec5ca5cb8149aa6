internal import AnchorageCrypto
import AnchorageHTTP
internal import COpenSSL
internal import Glibc

/// One request through an HTTP proxy: `CONNECT host:port`, then TLS (verifying the endpoint, not the
/// proxy) over the tunnel, then the request. Blocking; `HTTPClientConnection` cannot start TLS on a
/// socket it did not connect itself, so this small client does.
final class ProxyTunnel {
    private var fd: Int32 = -1
    private var context: OpaquePointer?
    private var ssl: OpaquePointer?
    private var buffer: [UInt8] = []

    init(proxy: ProxySettings, endpoint: Endpoint, tls: TLSClientConfiguration, timeout: Double) throws {
        do {
            try connectSocket(host: proxy.host, port: proxy.port, timeout: timeout)
            let authority =
                endpoint.host.contains(":")
                ? "[\(endpoint.host)]:\(endpoint.port)" : "\(endpoint.host):\(endpoint.port)"
            var connect = "CONNECT \(authority) HTTP/1.1\r\nHost: \(authority)\r\n"
            if let userInfo = proxy.userInfo {
                connect += "Proxy-Authorization: Basic \(Base64.encode(Array(userInfo.utf8)))\r\n"
            }
            connect += "\r\n"
            try write(Array(connect.utf8))
            let status = try readStatusLine()
            var headers = HTTPHeaders()
            try readHeaders(into: &headers)
            guard (200..<300).contains(status) else {
                throw HTTPError("proxy \(proxy.host):\(proxy.port) refused CONNECT \(authority): HTTP \(status)")
            }
            if endpoint.isTLS { try startTLS(tls, host: endpoint.host) }
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// Sends the request and reads the whole response.
    func send(method: String, target: String, headers: HTTPHeaders, body: [UInt8]) throws -> HTTPResponse {
        var out = "\(method) \(target) HTTP/1.1\r\n"
        for field in headers { out += "\(field.name): \(field.value)\r\n" }
        if !headers.contains(name: "Content-Length") { out += "Content-Length: \(body.count)\r\n" }
        out += "Connection: close\r\n\r\n"
        try write(Array(out.utf8) + body)
        var status = 100
        var responseHeaders = HTTPHeaders()
        while status < 200 {
            status = try readStatusLine()
            responseHeaders = HTTPHeaders()
            try readHeaders(into: &responseHeaders)
        }
        var responseBody: [UInt8] = []
        if let encoding = responseHeaders["Transfer-Encoding"], encoding.lowercased().contains("chunked") {
            while true {
                let line = try readLine()
                guard let size = Int(line.split(separator: ";").first.map { $0.trimmed(of: " ") } ?? "", radix: 16)
                else {
                    throw HTTPError("malformed chunk size")
                }
                if size == 0 { break }
                responseBody += try readBytes(size)
                _ = try readLine()
            }
        } else if let length = responseHeaders["Content-Length"].flatMap({ Int($0) }) {
            responseBody = try readBytes(length)
        } else {
            while try fill() {}
            responseBody = buffer
            buffer = []
        }
        return HTTPResponse(status: status, headers: responseHeaders, body: responseBody)
    }

    func close() {
        if let ssl {
            _ = SSL_shutdown(ssl)
            SSL_free(ssl)
            self.ssl = nil
        }
        if let context {
            SSL_CTX_free(context)
            self.context = nil
        }
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
        ERR_clear_error()
    }

    // MARK: - Socket

    private func connectSocket(host: String, port: Int, timeout: Double) throws {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let list else { throw HTTPError("cannot resolve proxy \(host)") }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var cursor: UnsafeMutablePointer<addrinfo>? = list
        while let info = cursor {
            cursor = info.pointee.ai_next
            let socketFD = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard socketFD >= 0 else { continue }
            var interval = timeval(tv_sec: Int(timeout), tv_usec: 0)
            setsockopt(socketFD, SOL_SOCKET, SO_RCVTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(socketFD, SOL_SOCKET, SO_SNDTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
            if Glibc.connect(socketFD, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 {
                fd = socketFD
                return
            }
            lastError = String(cString: strerror(errno))
            Glibc.close(socketFD)
        }
        throw HTTPError("connect to proxy \(host):\(port): \(lastError)")
    }

    private func startTLS(_ configuration: TLSClientConfiguration, host: String) throws {
        ERR_clear_error()
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw HTTPError("SSL_CTX_new failed") }
        self.context = context
        _ = COpenSSL_SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION)
        if configuration.verifyPeer {
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
            let loaded =
                if let caFile = configuration.caFile {
                    SSL_CTX_load_verify_locations(context, caFile, nil)
                } else {
                    SSL_CTX_set_default_verify_paths(context)
                }
            guard loaded == 1 else { throw HTTPError("TLS: cannot load trusted certificates") }
        } else {
            SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        }
        guard let ssl = SSL_new(context) else { throw HTTPError("SSL_new failed") }
        self.ssl = ssl
        SSL_set_fd(ssl, fd)
        _ = COpenSSL_SSL_set_alpn_http11(ssl)
        var v4 = in_addr()
        var v6 = in6_addr()
        let isIP = inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
        if configuration.verifyPeer {
            let ok = isIP ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) : SSL_set1_host(ssl, host)
            guard ok == 1 else { throw HTTPError("TLS: cannot set the expected name \(host)") }
        }
        if !isIP { _ = COpenSSL_SSL_set_tlsext_host_name(ssl, host) }
        guard SSL_connect(ssl) == 1 else {
            let verify = SSL_get_verify_result(ssl)
            let reason =
                verify != X509_V_OK ? String(cString: X509_verify_cert_error_string(verify)) : "handshake failed"
            ERR_clear_error()
            throw TunnelTLSError(message: "TLS handshake with \(host) through the proxy: \(reason)")
        }
    }

    // MARK: - Bytes

    private func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written: Int = bytes.withUnsafeBytes { raw in
                let base = raw.baseAddress! + offset
                if let ssl { return Int(SSL_write(ssl, base, Int32(clamping: raw.count - offset))) }
                return Glibc.send(fd, base, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written <= 0 {
                if ssl == nil && errno == EINTR { continue }
                ERR_clear_error()
                throw HTTPError("write through the proxy failed")
            }
            offset += written
        }
    }

    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count: Int = chunk.withUnsafeMutableBytes { raw in
                if let ssl { return Int(SSL_read(ssl, raw.baseAddress, Int32(raw.count))) }
                return recv(fd, raw.baseAddress, raw.count, 0)
            }
            if count > 0 {
                buffer += chunk[0..<count]
                return true
            }
            if let ssl {
                let error = SSL_get_error(ssl, Int32(count))
                ERR_clear_error()
                if error == SSL_ERROR_ZERO_RETURN || (error == SSL_ERROR_SYSCALL && errno == 0) { return false }
                throw HTTPError("read through the proxy failed")
            }
            if count == 0 { return false }
            if errno == EINTR { continue }
            throw HTTPError("read through the proxy failed: \(String(cString: strerror(errno)))")
        }
    }

    private func readLine() throws -> String {
        while true {
            if let lf = buffer.firstIndex(of: 0x0A) {
                let end = lf > 0 && buffer[lf - 1] == 0x0D ? lf - 1 : lf
                let line = String(decoding: buffer[..<end], as: UTF8.self)
                buffer.removeFirst(lf + 1)
                return line
            }
            guard try fill() else { throw HTTPError("connection closed before a complete response") }
        }
    }

    private func readBytes(_ count: Int) throws -> [UInt8] {
        while buffer.count < count {
            guard try fill() else { throw HTTPError("connection closed before a complete response") }
        }
        let bytes = Array(buffer[..<count])
        buffer.removeFirst(count)
        return bytes
    }

    private func readStatusLine() throws -> Int {
        let line = try readLine()
        let parts = line.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw HTTPError("malformed status line: \(line)")
        }
        return status
    }

    private func readHeaders(into headers: inout HTTPHeaders) throws {
        while true {
            let line = try readLine()
            if line.isEmpty { return }
            guard let colon = line.firstIndex(of: ":") else { throw HTTPError("malformed header line") }
            headers.add(name: String(line[..<colon]), value: line[line.index(after: colon)...].trimmed(of: " \t"))
        }
    }
}

/// A TLS failure inside the tunnel (not retried: a certificate problem does not go away).
struct TunnelTLSError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
