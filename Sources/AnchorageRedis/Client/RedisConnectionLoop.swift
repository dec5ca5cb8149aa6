import AnchorageBasics
import AnchorageLocking
import Glibc

/// The body of ``RedisClient``'s thread: owns the socket, the write buffer, the reader and the batches in
/// flight. Only that thread touches it.
final class RedisConnectionLoop: @unchecked Sendable {
    private enum Phase {
        /// No socket; the next attempt at `after` (monotonic nanoseconds).
        case waiting(after: UInt64)
        /// A non-blocking connect in progress.
        case connecting(deadline: UInt64)
        /// Connected over TCP; the TLS handshake (`rediss://`) in progress.
        case tlsHandshake(deadline: UInt64)
        /// Connected; the handshake replies are awaited (`handshakeLeft` of them), batches flow behind them.
        case open
    }

    /// One expected reply: to a handshake command, or to a command of a batch.
    private struct Slot {
        var batch: RedisClient.Batch?
        /// For a handshake command: its name, for the error message.
        var handshake: String?
    }

    /// Strong: the thread keeps the client alive until `stop()` ends it.
    private let client: RedisClient
    private let options: RedisClient.Options
    private var phase = Phase.waiting(after: 0)
    private var fd: Int32 = -1
    /// The TLS session over `fd` (`rediss://`), nil for plain TCP.
    private var tls: RedisTLSSession?
    /// The TLS session's last call needs the socket writable before it can go on.
    private var tlsWantsWrite = false
    private var reader: RESPReader
    private var output: [UInt8] = []
    private var outputOffset = 0
    /// Replies expected, oldest first (`slotsHead` is the next one).
    private var slots: [Slot] = []
    private var slotsHead = 0
    /// Batches accepted while no connection was open.
    private var held: [RedisClient.Batch] = []
    private var handshakeLeft = 0
    /// Redis answered `LOADING` on this connection and nothing else since: it is not ready (see ``loading(_:)``).
    private var loadingDataset = false
    /// When the current connection opened (monotonic nanoseconds): its handshake must end by then + connectTimeout.
    private var openedAt: UInt64 = 0
    private var backoff: Double
    private var readBuffer = [UInt8](repeating: 0, count: 65536)

    init(client: RedisClient) {
        self.client = client
        self.options = client.options
        self.reader = RESPReader(limits: client.options.limits)
        self.backoff = client.options.minimumBackoff
    }

    func run() {
        while true {
            let (incoming, stopping) = client.shared.withLock { state in
                let incoming = state.incoming
                state.incoming.removeAll(keepingCapacity: true)
                state.wakePending = false
                return (incoming, state.stopping)
            }
            held += incoming
            if stopping {
                closeConnection(RedisError(.stopped, "the client is stopped"), report: false)
                failHeld(RedisError(.stopped, "the client is stopped"))
                // The wake-up descriptor stays open until the client is released (`deinit`): a later `stop()`
                // still writes to it, never to a descriptor number reused by something else.
                return
            }
            let now = MonotonicTime.nanoseconds
            switch phase {
            case .waiting(let after) where now >= after:
                startConnect(now: now)
            case .connecting(let deadline) where now >= deadline:
                connectFailed(RedisError(.unavailable, "connecting to \(options.endpoint) timed out"))
            case .tlsHandshake(let deadline) where now >= deadline:
                connectFailed(RedisError(.unavailable, "the TLS handshake with \(options.endpoint) timed out"))
            default: break
            }
            if case .open = phase, !held.isEmpty {
                for batch in held { write(batch) }
                held.removeAll(keepingCapacity: true)
            }
            if let down = client.shared.withLock({ $0.down ? RedisError.unreachable($0.lastFailure) : nil }),
                !held.isEmpty
            {
                failHeld(down)
            }
            expire(now: now)
            flush()
            waitForEvents(now: MonotonicTime.nanoseconds)
        }
    }

    // MARK: - Connecting

    private func startConnect(now: UInt64) {
        let endpoint = options.endpoint
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(endpoint.host, String(endpoint.port), &hints, &list) == 0, let first = list else {
            connectFailed(RedisError(.unavailable, "cannot resolve \(endpoint.host)"))
            return
        }
        defer { freeaddrinfo(list) }
        let socketFD = socket(
            first.pointee.ai_family,
            Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socketFD >= 0 else {
            connectFailed(RedisError(.unavailable, "socket: \(String(cString: strerror(errno)))"))
            return
        }
        var one: Int32 = 1
        setsockopt(socketFD, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        fd = socketFD
        if connect(socketFD, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 {
            tcpConnected()
        } else if errno == EINPROGRESS {
            phase = .connecting(deadline: now &+ UInt64(options.connectTimeout * 1e9))
        } else {
            connectFailed(
                RedisError(.unavailable, "connect \(endpoint): \(String(cString: strerror(errno)))"))
        }
    }

    /// TCP is up: the TLS handshake first (`rediss://`), else the Redis handshake.
    private func tcpConnected() {
        guard let configuration = options.tls else {
            connected()
            return
        }
        do {
            tls = try RedisTLSSession(fd: fd, name: options.endpoint.host, configuration: configuration)
        } catch {
            connectFailed(error)
            return
        }
        phase = .tlsHandshake(deadline: MonotonicTime.nanoseconds &+ UInt64(options.connectTimeout * 1e9))
        driveTLSHandshake()
    }

    private func driveTLSHandshake() {
        guard let tls else { return }
        switch tls.handshake() {
        case .done:
            tlsWantsWrite = false
            connected()
        case .wantRead: tlsWantsWrite = false
        case .wantWrite: tlsWantsWrite = true
        case .closed: connectFailed(RedisError(.unavailable, "Redis closed the TLS handshake"))
        case .failed(let text): connectFailed(RedisError(.unavailable, text))
        }
    }

    private func connected() {
        phase = .open
        openedAt = MonotonicTime.nanoseconds
        reader = RESPReader(limits: options.limits)
        var handshake: [RedisCommand] = []
        if let password = options.password {
            handshake.append(
                options.endpoint.username.map { RedisCommand("AUTH", $0, password) } ?? RedisCommand("AUTH", password))
        }
        if options.endpoint.database != 0 {
            handshake.append(RedisCommand("SELECT", String(options.endpoint.database)))
        }
        handshake += options.setup
        handshakeLeft = handshake.count
        for command in handshake {
            RESPWriter.append(command, to: &output)
            slots.append(Slot(batch: nil, handshake: command.name))
        }
        client.shared.withLock { $0.commandsSent &+= UInt64(handshake.count) }
        if handshakeLeft == 0 { handshakeDone() }
    }

    private func handshakeDone() {
        backoff = options.minimumBackoff
        client.shared.withLock {
            $0.ready = true
            $0.down = false
            $0.lastFailure = nil
        }
        client.report(.connected)
    }

    private func connectFailed(_ error: RedisError) {
        closeSocket()
        client.shared.withLock {
            $0.down = true
            $0.ready = false
            $0.lastFailure = error.detail
        }
        failHeld(error)
        phase = .waiting(after: MonotonicTime.nanoseconds &+ UInt64(backoff * 1e9))
        backoff = min(options.maximumBackoff, backoff * 2)
        client.report(.disconnected(error))
    }

    /// The connection is lost: everything in flight fails with `error`; the next attempt is immediate
    /// (held batches wait for it), later ones back off.
    private func closeConnection(_ error: RedisError, report: Bool = true) {
        let wasReady = client.shared.withLock { state in
            defer { state.ready = false }
            return state.ready
        }
        closeSocket()
        while slotsHead < slots.count {
            if let batch = slots[slotsHead].batch { complete(batch, .failure(error)) }
            slotsHead += 1
        }
        slots.removeAll(keepingCapacity: true)
        slotsHead = 0
        phase = .waiting(after: MonotonicTime.nanoseconds)
        if report, wasReady { client.report(.disconnected(error)) }
    }

    /// Fails every batch owed a reply.
    private func dropSlots(_ error: RedisError) {
        while slotsHead < slots.count {
            if let batch = slots[slotsHead].batch { complete(batch, .failure(error)) }
            slotsHead += 1
        }
        slots.removeAll(keepingCapacity: true)
        slotsHead = 0
    }

    /// Redis answered `-LOADING` to a command of `batch`: it accepts connections but serves no data while it loads
    /// its dataset (after a restart with persistence, or a replica's full resynchronization). That is a transient
    /// unavailability, as a lost connection would be, not a reply: the batch fails with
    /// ``RedisError/Code/unavailable`` (its other replies are dropped) and the client is not ready until Redis
    /// answers something else. The connection stays open; the next batches find out when loading ends.
    private func loading(_ batch: RedisClient.Batch) {
        let error = RedisError(.unavailable, "Redis is loading its dataset")
        // Not ready before the completion runs: a caller that sees the failure sees the state too.
        if !loadingDataset {
            loadingDataset = true
            let wasReady = client.shared.withLock { state in
                defer { state.ready = false }
                return state.ready
            }
            if wasReady { client.report(.disconnected(error)) }
        }
        complete(batch, .failure(error))
    }

    private func closeSocket() {
        loadingDataset = false
        tls = nil
        tlsWantsWrite = false
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
        output.removeAll(keepingCapacity: true)
        outputOffset = 0
        handshakeLeft = 0
    }

    // MARK: - Batches

    private func write(_ batch: RedisClient.Batch) {
        for command in batch.commands {
            RESPWriter.append(command, to: &output)
            slots.append(Slot(batch: batch, handshake: nil))
        }
        client.shared.withLock { $0.commandsSent &+= UInt64(batch.commands.count) }
    }

    private func failHeld(_ error: RedisError) {
        let batches = held
        held.removeAll(keepingCapacity: true)
        for batch in batches { complete(batch, .failure(error)) }
    }

    /// Fails held batches whose deadline passed, and in-flight ones (their replies will be dropped);
    /// closes a connection that owes a reply for too long.
    private func expire(now: UInt64) {
        let timeout = RedisError(.timeout, "no reply within \(options.commandTimeout) s")
        if held.contains(where: { $0.deadline <= now }) {
            let expired = held.filter { $0.deadline <= now }
            held.removeAll { $0.deadline <= now }
            for batch in expired { complete(batch, .failure(timeout)) }
        }
        // Deadlines grow with the order of the slots: stop at the first batch not yet due.
        var index = slotsHead
        while index < slots.count {
            if let batch = slots[index].batch {
                guard batch.deadline <= now else { break }
                complete(batch, .failure(timeout))
            }
            index += 1
        }
        if handshakeLeft > 0, now > openedAt &+ UInt64(options.connectTimeout * 1e9) {
            let error = RedisError(.unavailable, "no handshake reply within \(options.connectTimeout) s")
            dropSlots(error)
            connectFailed(error)
            return
        }
        if slotsHead < slots.count, let oldest = slots[slotsHead].batch,
            now > oldest.deadline &+ UInt64(options.stuckAfter * 1e9)
        {
            closeConnection(RedisError(.timeout, "Redis owes a reply for more than \(options.stuckAfter) s"))
        }
    }

    /// Calls `batch`'s completion once, and counts it out of the bounded queue.
    private func complete(_ batch: RedisClient.Batch, _ result: Result<[RESPValue], RedisError>) {
        guard !batch.done else { return }
        client.shared.withLock { $0.outstanding -= 1 }
        batch.finish(result)
    }

    // MARK: - I/O

    private func waitForEvents(now: UInt64) {
        var timeoutNanoseconds: UInt64 = 1_000_000_000
        func bound(_ instant: UInt64) {
            timeoutNanoseconds = min(timeoutNanoseconds, instant > now ? instant - now : 0)
        }
        switch phase {
        case .waiting(let after): bound(after)
        case .connecting(let deadline), .tlsHandshake(let deadline): bound(deadline)
        case .open:
            if handshakeLeft > 0 { bound(openedAt &+ UInt64(options.connectTimeout * 1e9)) }
        }
        if let first = held.first { bound(first.deadline) }
        var index = slotsHead
        while index < slots.count {
            if let batch = slots[index].batch, !batch.done {
                bound(batch.deadline)
                break
            }
            index += 1
        }
        if slotsHead < slots.count, let oldest = slots[slotsHead].batch {
            bound(oldest.deadline &+ UInt64(options.stuckAfter * 1e9))
        }
        var fds = [pollfd(fd: client.wakeFD, events: Int16(POLLIN), revents: 0)]
        if fd >= 0 {
            var events = Int16(POLLIN)
            if case .connecting = phase { events = Int16(POLLOUT) }
            if outputOffset < output.count || tlsWantsWrite { events |= Int16(POLLOUT) }
            fds.append(pollfd(fd: fd, events: events, revents: 0))
        }
        let milliseconds = Int32((timeoutNanoseconds + 999_999) / 1_000_000)
        let count = poll(&fds, nfds_t(fds.count), milliseconds)
        guard count > 0 else { return }
        if fds[0].revents != 0 {
            var value: UInt64 = 0
            _ = Glibc.read(client.wakeFD, &value, 8)
        }
        guard fds.count > 1, fds[1].revents != 0 else { return }
        if case .connecting = phase {
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            if error == 0 {
                tcpConnected()
            } else {
                connectFailed(
                    RedisError(.unavailable, "connect \(options.endpoint): \(String(cString: strerror(error)))"))
            }
            return
        }
        if case .tlsHandshake = phase {
            driveTLSHandshake()
            return
        }
        // With TLS, a read may wait for the socket to be writable (and the reverse): read on any event.
        if tls != nil || fds[1].revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 { readReplies() }
    }

    private func flush() {
        guard fd >= 0, case .open = phase else { return }
        while outputOffset < output.count {
            if let tls {
                let offset = outputOffset
                switch output.withUnsafeBytes({ tls.write(UnsafeRawBufferPointer(rebasing: $0[offset...])) }) {
                case .done(let count):
                    tlsWantsWrite = false
                    outputOffset += count
                    continue
                case .wantWrite:
                    tlsWantsWrite = true
                    return
                case .wantRead:
                    return
                case .closed:
                    closeConnection(RedisError(.unavailable, "Redis closed the TLS session"))
                    return
                case .failed(let text):
                    closeConnection(RedisError(.unavailable, text))
                    return
                }
            }
            let written = output.withUnsafeBytes { bytes in
                Glibc.send(fd, bytes.baseAddress! + outputOffset, bytes.count - outputOffset, Int32(MSG_NOSIGNAL))
            }
            if written > 0 {
                outputOffset += written
            } else if written < 0, errno == EAGAIN || errno == EINTR {
                return
            } else {
                closeConnection(RedisError(.unavailable, "write: \(String(cString: strerror(errno)))"))
                return
            }
        }
        output.removeAll(keepingCapacity: true)
        outputOffset = 0
    }

    private func readReplies() {
        while fd >= 0 {
            if let tls {
                switch readBuffer.withUnsafeMutableBytes({ tls.read(into: $0) }) {
                case .done(let count):
                    tlsWantsWrite = false
                    reader.append(readBuffer[0..<count])
                    drainReplies()
                    continue
                case .wantRead:
                    return
                case .wantWrite:
                    tlsWantsWrite = true
                    return
                case .closed:
                    lost("Redis closed the TLS session")
                    return
                case .failed(let text):
                    closeConnection(RedisError(.unavailable, text))
                    return
                }
            }
            let count = readBuffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if count > 0 {
                reader.append(readBuffer[0..<count])
                drainReplies()
                if count < readBuffer.count { return }
            } else if count < 0, errno == EAGAIN || errno == EINTR {
                return
            } else {
                lost(count == 0 ? "Redis closed the connection" : String(cString: strerror(errno)))
                return
            }
        }
    }

    /// The stream ended: a protocol error when it ended inside a reply.
    private func lost(_ reason: String) {
        do {
            try reader.finish()
            closeConnection(RedisError(.unavailable, reason))
        } catch {
            closeConnection(RedisError(.protocolError, "\(reason) inside a reply (\(error))"))
        }
    }

    private func drainReplies() {
        while fd >= 0 {
            let value: RESPValue?
            do {
                value = try reader.next()
            } catch {
                closeConnection(RedisError(.protocolError, "\(error)"))
                return
            }
            guard let value else { return }
            guard slotsHead < slots.count else {
                closeConnection(RedisError(.protocolError, "a reply to no command"))
                return
            }
            let slot = slots[slotsHead]
            slotsHead += 1
            if slotsHead == slots.count {
                slots.removeAll(keepingCapacity: true)
                slotsHead = 0
            } else if slotsHead >= 1024, slotsHead * 2 >= slots.count {
                slots.removeSubrange(0..<slotsHead)
                slotsHead = 0
            }
            if let name = slot.handshake {
                if let code = value.errorCode {
                    // The server's message may echo nothing secret, but AUTH's arguments are never quoted.
                    let error = RedisError(.unavailable, "\(name) failed: \(code)")
                    dropSlots(error)
                    connectFailed(error)
                    return
                }
                handshakeLeft -= 1
                if handshakeLeft == 0 { handshakeDone() }
                continue
            }
            guard let batch = slot.batch else { continue }
            if value.errorCode == "LOADING" {
                loading(batch)
                continue
            }
            if loadingDataset {
                // Any other reply: the dataset is loaded, the connection is ready again.
                loadingDataset = false
                handshakeDone()
            }
            batch.replies.append(value)
            if batch.replies.count == batch.commands.count { complete(batch, .success(batch.replies)) }
        }
    }
}
