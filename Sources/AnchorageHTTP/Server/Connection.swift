internal import COpenSSL
internal import Glibc

/// One accepted socket and its protocol state. Owned by exactly one event loop and only touched on its thread.
final class Connection {
    enum ReadResult {
        case data(Int)
        case wouldBlock(wantsWrite: Bool)
        case endOfStream
        case failed
    }

    enum WriteResult {
        case wrote(Int)
        case wouldBlock(wantsRead: Bool)
        case failed
    }

    let fd: Int32
    /// The `SSL` object when serving TLS.
    private(set) var ssl: OpaquePointer?
    var parser: HTTPRequestParser

    /// Encoded responses not yet written; `outputOffset` bytes of it already went out.
    var output: [UInt8] = []
    var outputOffset = 0

    /// The epoll interest currently registered.
    var registeredEvents: UInt32 = 0
    /// A TLS read needs the socket writable (or a write needs it readable) before it can progress.
    var tlsReadWantsWrite = false
    var tlsWriteWantsRead = false
    /// After a fatal TLS error, `SSL_shutdown` must not be called.
    var tlsFailed = false

    /// Respond to what is already queued, then close: set by `Connection: close`, errors and draining.
    var closeAfterWrite = false
    var peerClosed = false
    /// Output is done and our write side is shut; unread input is drained so the peer sees our
    /// response rather than a reset.
    var lingering = false

    /// A response waiting for its commit (``HTTPResponse/commit``); no later request of this
    /// connection is read or handled until it is released, so answers keep their order.
    var held: HeldResponse?
    /// Input (or a hang-up) arrived while `held` waits: reading is unregistered until the release, since epoll
    /// is level-triggered and would report the unread input again on every wake-up.
    var inputWhileHeld = false
    /// The request whose answer a handler is still producing (``HTTPResponse/pending(_:)``); like `held`, nothing
    /// more is read or handled meanwhile.
    var awaitingAnswer: Exchange?
    /// Whether an answer is on its way (from a handler or a commit): the connection reads nothing meanwhile.
    var isWaiting: Bool { held != nil || awaitingAnswer != nil }

    var requestsServed = 0
    var lastPhase = HTTPRequestParser.Phase.idle
    var phaseStart: Double
    var lastWriteProgress: Double
    var deadline: Double = .infinity

    init(fd: Int32, ssl: OpaquePointer?, parser: HTTPRequestParser, now: Double) {
        self.fd = fd
        self.ssl = ssl
        self.parser = parser
        self.phaseStart = now
        self.lastWriteProgress = now
    }

    /// What the answer to one request needs to know about the request.
    struct Exchange {
        /// Matches the completion that the loop's inbox delivers to this exchange.
        var id: UInt64
        var suppressBody: Bool
        var keepsAlive: Bool
        var isHTTP10: Bool
    }

    /// A response and how to encode it, kept until its commit.
    struct HeldResponse {
        var response: HTTPResponse
        var suppressBody: Bool
        var connectionHeader: HTTPResponseEncoder.ConnectionHeader
        var closeAfterWrite: Bool
    }

    var hasPendingOutput: Bool { outputOffset < output.count }
    var pendingOutputCount: Int { output.count - outputOffset }

    /// Whether OpenSSL holds decrypted bytes that epoll cannot know about.
    var hasBufferedTLSInput: Bool {
        guard let ssl else { return false }
        return SSL_has_pending(ssl) == 1
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> ReadResult {
        if let ssl, !lingering {
            ERR_clear_error()
            let count = SSL_read(ssl, buffer.baseAddress, Int32(clamping: buffer.count))
            if count > 0 { return .data(Int(count)) }
            switch SSL_get_error(ssl, count) {
            case SSL_ERROR_WANT_READ: return .wouldBlock(wantsWrite: false)
            case SSL_ERROR_WANT_WRITE: return .wouldBlock(wantsWrite: true)
            case SSL_ERROR_ZERO_RETURN: return .endOfStream
            default:
                tlsFailed = true
                ERR_clear_error()
                return .failed
            }
        }
        while true {
            let count = recv(fd, buffer.baseAddress, buffer.count, 0)
            if count > 0 { return .data(count) }
            if count == 0 { return .endOfStream }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock(wantsWrite: false)
            default: return .failed
            }
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) -> WriteResult {
        if let ssl {
            ERR_clear_error()
            let count = SSL_write(ssl, bytes.baseAddress, Int32(clamping: bytes.count))
            if count > 0 { return .wrote(Int(count)) }
            switch SSL_get_error(ssl, count) {
            case SSL_ERROR_WANT_WRITE: return .wouldBlock(wantsRead: false)
            case SSL_ERROR_WANT_READ: return .wouldBlock(wantsRead: true)
            default:
                tlsFailed = true
                ERR_clear_error()
                return .failed
            }
        }
        while true {
            let count = send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
            if count >= 0 { return .wrote(count) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock(wantsRead: false)
            default: return .failed
            }
        }
    }

    /// Sends close_notify (best effort, never waits) and shuts our write side.
    func shutdownWriteSide() {
        sendCloseNotify()
        Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    private func sendCloseNotify() {
        guard let ssl, !tlsFailed, SSL_is_init_finished(ssl) == 1 else { return }
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
        tlsFailed = true  // at most once
    }

    /// Releases the socket and the `SSL`; the loop removes it from epoll first.
    func close() {
        sendCloseNotify()
        if let ssl {
            SSL_free(ssl)
            self.ssl = nil
        }
        Glibc.close(fd)
    }
}
