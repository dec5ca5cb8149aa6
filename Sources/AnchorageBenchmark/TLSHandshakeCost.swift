import AnchorageHTTP
internal import COpenSSL
internal import Glibc

/// What OpenSSL alone spends on the server's side of a full TLS handshake with a ``TLSServerContext``:
/// no sockets, no event loop, no request, both ends in this thread over an in-memory BIO pair.
///
/// The benchmark prints it next to the server's CPU per new-connection request and nginx's per mutual-TLS
/// handshake, so that the share of a new connection that is the TLS library's own is measured, not guessed.
enum TLSHandshakeCost {
    /// The figures of one measurement.
    struct Result: Sendable {
        /// Thread CPU seconds the server's `SSL_new`, handshake steps and `SSL_free` took, per handshake.
        var serverSecondsPerHandshake: Double
        var handshakes: Int
        /// As negotiated by the first handshake, e.g. "TLSv1.3".
        var protocolVersion: String
        var cipher: String
    }

    /// Completes `handshakes` full handshakes between `context` and a default OpenSSL client (its default
    /// protocol versions and key-share groups, no certificate verification, SNI `localhost`), charging only
    /// the server's calls. Throws when a handshake fails.
    static func measure(context: TLSServerContext, handshakes: Int) throws -> Result {
        guard handshakes > 0 else { throw HTTPError("handshakes must be positive") }
        ERR_clear_error()
        guard let clientContext = SSL_CTX_new(TLS_client_method()) else {
            throw TLSError.fromQueue("SSL_CTX_new")
        }
        defer { SSL_CTX_free(clientContext) }
        SSL_CTX_set_verify(clientContext, SSL_VERIFY_NONE, nil)

        var serverSeconds = 0.0
        var version = ""
        var cipher = ""
        for index in 0..<handshakes {
            var started = threadCPUSeconds()
            guard let server = SSL_new(context.context) else { throw TLSError.fromQueue("SSL_new") }
            serverSeconds += threadCPUSeconds() - started
            defer {
                let freeing = threadCPUSeconds()
                SSL_free(server)
                serverSeconds += threadCPUSeconds() - freeing
            }
            guard let client = SSL_new(clientContext) else { throw TLSError.fromQueue("SSL_new") }
            defer { SSL_free(client) }
            var serverEnd: OpaquePointer?
            var clientEnd: OpaquePointer?
            guard BIO_new_bio_pair(&serverEnd, 0, &clientEnd, 0) == 1 else {
                throw TLSError.fromQueue("BIO_new_bio_pair")
            }
            // Each SSL takes over its end of the pair (one reference serves as both read and write BIO).
            SSL_set_bio(server, serverEnd, serverEnd)
            SSL_set_bio(client, clientEnd, clientEnd)
            SSL_set_accept_state(server)
            SSL_set_connect_state(client)
            _ = COpenSSL_SSL_set_tlsext_host_name(client, "localhost")

            var serverDone = false
            var clientDone = false
            // A TLS 1.3 handshake takes two client flights; twelve rounds bound a confused peer.
            for _ in 0..<12 where !(serverDone && clientDone) {
                if !clientDone { clientDone = try step(client, "client") }
                if !serverDone {
                    started = threadCPUSeconds()
                    let finished = try step(server, "server")
                    serverSeconds += threadCPUSeconds() - started
                    serverDone = finished
                }
            }
            guard serverDone && clientDone else { throw HTTPError("TLS handshake in memory did not complete") }
            if index == 0 {
                version = String(cString: SSL_get_version(server))
                cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(server)).map { String(cString: $0) } ?? "?"
            }
        }
        return Result(
            serverSecondsPerHandshake: serverSeconds / Double(handshakes), handshakes: handshakes,
            protocolVersion: version, cipher: cipher)
    }

    /// One `SSL_do_handshake` call: true when this end has finished, false when it waits for its peer.
    private static func step(_ ssl: OpaquePointer, _ side: String) throws -> Bool {
        let result = SSL_do_handshake(ssl)
        if result == 1 { return true }
        guard SSL_get_error(ssl, result) == SSL_ERROR_WANT_READ else {
            throw TLSError.fromQueue("\(side) handshake in memory")
        }
        return false
    }

    private static func threadCPUSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
