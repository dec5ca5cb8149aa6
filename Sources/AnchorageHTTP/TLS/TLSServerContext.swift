internal import COpenSSL

/// The server's TLS configuration: an `SSL_CTX` that is never mutated after `init`, so every event
/// loop can create its `SSL` objects from it concurrently.
public final class TLSServerContext: @unchecked Sendable {
    /// The `SSL_CTX`, for measurements inside this package (the benchmark's `TLSHandshakeCost`).
    package let context: OpaquePointer

    /// Loads a PEM certificate chain (leaf first) and its private key.
    ///
    /// TLS 1.2 is the minimum, TLS 1.3 allowed; compression, renegotiation and session resumption
    /// (tickets and the session cache) are off, the server's cipher order wins, and ALPN `http/1.1` is selected when the client offers it. Only forward-secret
    /// AEAD suites are offered (``tls12CipherList``, ``tls13CipherSuites``).
    public init(certificateChainFile: String, privateKeyFile: String) throws {
        ERR_clear_error()
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw TLSError.fromQueue("SSL_CTX_new") }
        guard COpenSSL_SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION) == 1 else {
            SSL_CTX_free(context)
            throw TLSError.fromQueue("set minimum protocol version")
        }
        _ = COpenSSL_SSL_CTX_set_options(context, COpenSSL_SSL_OP_server_hardening())
        // OpenSSL's DEFAULT list still allows CBC suites with HMAC-SHA1/SHA-256/SHA-384 on TLS 1.2
        // (e.g. ECDHE-ECDSA-AES128-SHA); refuse everything but ECDHE with AES-GCM or ChaCha20-Poly1305.
        guard SSL_CTX_set_cipher_list(context, Self.tls12CipherList) == 1,
            SSL_CTX_set_ciphersuites(context, Self.tls13CipherSuites) == 1
        else {
            SSL_CTX_free(context)
            throw TLSError.fromQueue("set cipher suites")
        }
        // Partial writes let the loop write what the socket takes; a moving buffer is allowed because our
        // output array may reallocate between retries; released buffers keep idle connections small.
        _ = COpenSSL_SSL_CTX_set_mode(
            context,
            Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS))
        // One read(2) per record instead of two (its 5-byte header, then its body); what OpenSSL reads ahead of the
        // current record is reported by SSL_has_pending, which the event loop checks because epoll cannot.
        _ = COpenSSL_SSL_CTX_enable_read_ahead(context)
        // No session resumption: the clients (the helper, one process per credential_process call; the SDKs,
        // which keep connections alive instead) never resume, so tickets and the session cache are work and
        // memory spent on every handshake for nothing (about 10% of a new connection's CPU, measured).
        _ = SSL_CTX_set_num_tickets(context, 0)
        _ = COpenSSL_SSL_CTX_disable_session_cache(context)
        COpenSSL_SSL_CTX_enable_alpn_http11(context)
        guard SSL_CTX_use_certificate_chain_file(context, certificateChainFile) == 1 else {
            SSL_CTX_free(context)
            throw TLSError.fromQueue("load certificate chain \(certificateChainFile)")
        }
        guard SSL_CTX_use_PrivateKey_file(context, privateKeyFile, SSL_FILETYPE_PEM) == 1 else {
            SSL_CTX_free(context)
            throw TLSError.fromQueue("load private key \(privateKeyFile)")
        }
        guard SSL_CTX_check_private_key(context) == 1 else {
            SSL_CTX_free(context)
            throw TLSError.fromQueue("private key does not match certificate")
        }
        self.context = context
    }

    deinit { SSL_CTX_free(context) }

    /// TLS 1.2 suites, in the server's order of preference: ECDHE key exchange, AEAD ciphers only.
    public static let tls12CipherList = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")

    /// TLS 1.3 suites (all AEAD; OpenSSL's default set, fixed here so it is explicit and documented).
    public static let tls13CipherSuites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
}
