internal import COpenSSL
import Glibc

@testable import AnchorageHTTP

extension HTTPClientConnection {
    /// `send`, or, when `chunked`, the body sent with `Transfer-Encoding: chunked` in three uneven chunks (to
    /// exercise the server's chunk reassembly); the answer is read either way.
    func send(
        method: String, target: String, headers: HTTPHeaders, body: [UInt8], chunked: Bool
    ) throws -> HTTPResponse {
        guard chunked else { return try send(method: method, target: target, headers: headers, body: body) }
        var out = Array("\(method) \(target) HTTP/1.1\r\n".utf8)
        if !headers.contains(name: "Host") { out.append(contentsOf: "Host: test\r\n".utf8) }
        for field in headers where !field.name.elementsEqual("Content-Length") {
            out.append(contentsOf: "\(field.name): \(field.value)\r\n".utf8)
        }
        out.append(contentsOf: "Transfer-Encoding: chunked\r\n\r\n".utf8)
        var offset = 0
        for size in [body.count / 3, body.count / 3 + 1, body.count] {
            let end = min(offset + size, body.count)
            guard end > offset else { continue }
            out.append(contentsOf: "\(String(end - offset, radix: 16))\r\n".utf8)
            out.append(contentsOf: body[offset..<end])
            out.append(contentsOf: "\r\n".utf8)
            offset = end
        }
        out.append(contentsOf: "0\r\n\r\n".utf8)
        try sendRaw(out)
        return try readResponse()
    }
}

/// A TLS client that offers only `version` (below TLS 1.2 too: OpenSSL's security level is lowered so that the
/// client may offer it), to prove that the *server* refuses old versions; the production client offers 1.2 and
/// 1.3 only.
enum LegacyTLSClient {
    /// Completes a handshake with 127.0.0.1:`port` offering `version` alone (a wire value such as 0x0302 for
    /// TLS 1.1), without verifying the server. Throws `TLSError` when the handshake fails.
    static func handshake(port: Int, version: Int32) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HTTPError("socket failed") }
        defer { close(fd) }
        var interval = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw HTTPError("connect failed") }
        ERR_clear_error()
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw TLSError.fromQueue("SSL_CTX_new") }
        defer { SSL_CTX_free(context) }
        // OpenSSL 3's default security level forbids TLS below 1.2 outright.
        SSL_CTX_set_security_level(context, 0)
        _ = COpenSSL_SSL_CTX_set_min_proto_version(context, version)
        _ = COpenSSL_SSL_CTX_set_max_proto_version(context, version)
        SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        guard let ssl = SSL_new(context) else { throw TLSError.fromQueue("SSL_new") }
        defer { SSL_free(ssl) }
        SSL_set_fd(ssl, fd)
        guard SSL_connect(ssl) == 1 else { throw TLSError.fromQueue("handshake offering only \(version)") }
        _ = SSL_shutdown(ssl)
    }
}
