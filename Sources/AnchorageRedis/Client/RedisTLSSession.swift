internal import COpenSSL
import Glibc

/// How the client speaks TLS to Redis (`rediss://`): the peer is verified against `caFile` (or the system's
/// trust store) and must be named `serverName` (default: the URL's host) in its certificate.
public struct RedisTLSConfiguration: Sendable, Equatable {
    /// PEM file of the CAs trusted for Redis's certificate; nil uses the system's default paths.
    public var caFile: String?
    /// The name (DNS name or IP address) the certificate must carry; nil: the URL's host.
    public var serverName: String?

    public init(caFile: String? = nil, serverName: String? = nil) {
        self.caFile = caFile
        self.serverName = serverName
    }
}

/// One TLS session over a non-blocking socket, driven by the connection thread: every call returns at once,
/// and ``Progress/wantRead``/``Progress/wantWrite`` say what the socket must become before the next call.
///
/// The owner of the `SSL_CTX` and the `SSL` (freed in `deinit`); used by one thread only.
final class RedisTLSSession {
    enum Progress: Equatable {
        case done(Int)
        case wantRead
        case wantWrite
        /// The peer closed the TLS session.
        case closed
        case failed(String)
    }

    private let context: OpaquePointer
    private let ssl: OpaquePointer

    /// A client session on `fd` for `name`; throws a message for the logs when OpenSSL refuses the setup.
    init(fd: Int32, name: String, configuration: RedisTLSConfiguration) throws(RedisError) {
        ERR_clear_error()
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw RedisError(.unavailable, "TLS: \(Self.queueText("SSL_CTX_new"))")
        }
        _ = COpenSSL_SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION)
        // SSL_write may then report part of a buffer written, and be called again with the rest at a new address.
        _ = COpenSSL_SSL_CTX_set_mode(
            context, Int(SSL_MODE_ENABLE_PARTIAL_WRITE) | Int(SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER))
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        let loaded =
            if let caFile = configuration.caFile {
                SSL_CTX_load_verify_locations(context, caFile, nil)
            } else {
                SSL_CTX_set_default_verify_paths(context)
            }
        guard loaded == 1, let ssl = SSL_new(context) else {
            let text = Self.queueText("load the trusted certificates")
            SSL_CTX_free(context)
            throw RedisError(.unavailable, "TLS: \(text)")
        }
        SSL_set_fd(ssl, fd)
        let peer = configuration.serverName ?? name
        let isIP = peer.contains(":") || peer.utf8.allSatisfy { $0 == UInt8(ascii: ".") || ($0 >= 0x30 && $0 <= 0x39) }
        let named = isIP ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), peer) : SSL_set1_host(ssl, peer)
        if !isIP { _ = COpenSSL_SSL_set_tlsext_host_name(ssl, peer) }
        guard named == 1 else {
            SSL_free(ssl)
            SSL_CTX_free(context)
            throw RedisError(.unavailable, "TLS: cannot expect the peer name \(peer)")
        }
        SSL_set_connect_state(ssl)
        self.context = context
        self.ssl = ssl
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(context)
    }

    /// Advances the handshake.
    func handshake() -> Progress {
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        if result == 1 { return .done(0) }
        return progress(result, "TLS handshake")
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> Progress {
        ERR_clear_error()
        let count = SSL_read(ssl, buffer.baseAddress, Int32(min(buffer.count, Int(Int32.max))))
        return count > 0 ? .done(Int(count)) : progress(count, "TLS read")
    }

    func write(_ bytes: UnsafeRawBufferPointer) -> Progress {
        ERR_clear_error()
        let count = SSL_write(ssl, bytes.baseAddress, Int32(min(bytes.count, Int(Int32.max))))
        return count > 0 ? .done(Int(count)) : progress(count, "TLS write")
    }

    private func progress(_ result: Int32, _ what: String) -> Progress {
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        case SSL_ERROR_ZERO_RETURN: return .closed
        default:
            var text = Self.queueText(what)
            let verify = SSL_get_verify_result(ssl)
            if verify != X509_V_OK, let reason = X509_verify_cert_error_string(verify) {
                text += ": " + String(cString: reason)
            }
            return .failed(text)
        }
    }

    /// The first error of OpenSSL's queue (cleared), or `what` alone.
    private static func queueText(_ what: String) -> String {
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0 else { return what }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return what + ": " + String(decoding: bytes, as: UTF8.self)
    }
}
