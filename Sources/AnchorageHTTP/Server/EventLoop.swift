import AnchorageBasics
import AnchorageLocking
internal import COpenSSL
internal import CSystemShims
internal import Glibc

/// One epoll loop on its own thread: it owns a listener on the shared port and every connection that
/// listener accepts, reads, parses, calls the handler inline, writes, and enforces deadlines.
///
/// Everything mutable here is touched only by the loop thread; other threads only call `wake()`,
/// which is why the class can be `@unchecked Sendable`.
final class EventLoop: @unchecked Sendable {
    private let configuration: HTTPServerConfiguration
    private let handler: any HTTPHandler
    private let state: ServerState
    private let tlsContext: OpaquePointer?
    private let limits: HTTPRequestParser.Limits

    private let epollFD: Int32
    private let wakeFD: Int32
    private var listenFD: Int32

    private var connections: [Int32: Connection] = [:]
    /// TLS connections whose read was cut short for fairness while OpenSSL still held input.
    private var pendingReads: [Int32] = []
    /// Connections holding a response until the handler commits (``HTTPResponse/commit``), with the
    /// response's ticket. The commit runs on `commitThread` while the loop serves everything else.
    private var awaitingCommit: [(connection: Connection, ticket: UInt64)] = []
    /// The highest ticket held so far, the highest one asked of `commitThread`, and whether that request
    /// is still unanswered.
    private var highestTicket: UInt64 = 0
    private var requestedTicket: UInt64 = 0
    private var commitOutstanding = false
    private let commitThread: CommitThread
    /// Results `commitThread` delivered, and answers handlers completed (``HTTPResponsePromise``), that the loop
    /// has not applied yet.
    private let commitInbox = Locked(CommitInbox())
    /// Connections waiting for a handler's answer, by the id of their exchange.
    private var awaitingAnswers: [UInt64: Connection] = [:]
    private var nextExchangeId: UInt64 = 0
    /// The earliest deadline noted since the last scan; deadlines only move later when a connection
    /// makes progress, so this may be stale-early, never late, and a scan recomputes it.
    private var nextTimerCheck: Double = .infinity
    private var lastDeadlineScan: Double = 0
    private var drainStarted = false
    /// Set while accepting is paused after running out of file descriptors.
    private var acceptResumeTime: Double = .infinity

    private let scratch: UnsafeMutableRawBufferPointer
    private var dateSecond = -1
    private var dateBytes: [UInt8] = []

    /// Stop reading new requests from a connection while this much output is unsent (backpressure).
    private static let outputHighWater = 1 << 20
    /// Reads per readiness event before yielding to other connections.
    private static let readsPerEvent = 16
    private static let acceptsPerEvent = 64
    private static let lingerSeconds = 2.0
    private static let acceptBackoffSeconds = 0.1
    /// Deadline scans are O(connections); with thousands of busy connections a stale minimum could
    /// otherwise trigger one per wake-up. Timeouts fire at most this much late.
    private static let minimumScanInterval = 0.01
    private static let readable = CSystemShims_EPOLLIN()
    private static let writable = CSystemShims_EPOLLOUT()
    private static let hangUp = CSystemShims_EPOLLHUP()
    private static let error = CSystemShims_EPOLLERR()

    init(
        configuration: HTTPServerConfiguration, handler: any HTTPHandler, commitThread: CommitThread,
        state: ServerState, listenFD: Int32
    ) throws {
        self.configuration = configuration
        self.handler = handler
        self.commitThread = commitThread
        self.state = state
        self.tlsContext = configuration.tls?.context
        self.limits = configuration.parserLimits
        self.listenFD = listenFD
        epollFD = CSystemShims_epoll_create()
        guard epollFD >= 0 else { throw HTTPError("epoll_create1: \(errnoText())") }
        wakeFD = CSystemShims_eventfd()
        guard wakeFD >= 0 else {
            Glibc.close(epollFD)
            throw HTTPError("eventfd: \(errnoText())")
        }
        scratch = .allocate(byteCount: 64 * 1024, alignment: 16)
        register(wakeFD, events: Self.readable, operation: 0)
        register(listenFD, events: Self.readable, operation: 0)
    }

    deinit { scratch.deallocate() }

    /// Releases the loop's descriptors when `start()` fails before the loop ever ran.
    func discardUnstarted() {
        if listenFD >= 0 { Glibc.close(listenFD) }
        listenFD = -1
        closeWakeDescriptor()
        Glibc.close(epollFD)
    }

    /// Interrupts `epoll_wait` so the loop notices a drain request. Safe from any thread.
    func wake() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, 8)
    }

    /// Hands the loop the result of a commit it asked for. Called on the commit thread.
    func commitFinished(_ result: CommitThread.Result) {
        commitInbox.withLock { inbox in
            guard !inbox.closed else { return }
            inbox.results.append(result)
            // Under the lock: the loop cannot close the descriptor (and the number be reused) meanwhile.
            wake()
        }
    }

    /// Hands the loop an answer a handler completed. Called on the completing thread.
    private func answerCompleted(exchange id: UInt64, _ response: HTTPResponse) {
        commitInbox.withLock { inbox in
            guard !inbox.closed else { return }
            inbox.answers.append((id, response))
            wake()
        }
    }

    private func closeWakeDescriptor() {
        commitInbox.withLock { inbox in
            inbox.closed = true
            Glibc.close(wakeFD)
        }
    }

    // MARK: - Loop

    func run() {
        let capacity = 256
        let fds = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        let masks = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity)
        defer {
            fds.deallocate()
            masks.deallocate()
        }
        while true {
            var now = MonotonicTime.seconds
            var timeout: Int32
            if !pendingReads.isEmpty {
                timeout = 0
            } else {
                var until = max(nextTimerCheck, lastDeadlineScan + Self.minimumScanInterval) - now
                if state.draining { until = min(until, 0.05) }
                timeout = until.isFinite ? Int32(max(0, min(1000, (until * 1000).rounded(.up)))) : 1000
            }
            let count = CSystemShims_epoll_wait(epollFD, fds, masks, Int32(capacity), timeout)
            if count < 0 && errno != EINTR { break }
            state.noteWakeUp()
            now = MonotonicTime.seconds
            for index in 0..<max(Int(count), 0) {
                let fd = fds[index]
                let flags = masks[index]
                if fd == wakeFD {
                    var value: UInt64 = 0
                    _ = Glibc.read(wakeFD, &value, 8)
                } else if fd == listenFD {
                    acceptConnections(now: now)
                } else if let connection = connections[fd] {
                    if connection.isWaiting && flags & (Self.hangUp | Self.error) != 0 {
                        // Gone while its answer is on its way: nobody is left to send it to.
                        close(connection)
                        continue
                    }
                    if connection.isWaiting && flags & Self.readable != 0 { connection.inputWhileHeld = true }
                    if flags & Self.writable != 0 { handleWritable(connection, now: now) }
                    if connections[fd] === connection,
                        flags & (Self.readable | Self.hangUp | Self.error) != 0
                    {
                        handleReadable(connection, now: now)
                    }
                }
            }
            if !pendingReads.isEmpty {
                let fds = pendingReads
                pendingReads.removeAll(keepingCapacity: true)
                for fd in fds { if let connection = connections[fd] { handleReadable(connection, now: now) } }
            }
            let (results, answers) = commitInbox.withLock { inbox in
                defer {
                    inbox.results.removeAll()
                    inbox.answers.removeAll()
                }
                return (inbox.results, inbox.answers)
            }
            for (id, response) in answers { deliverAnswer(exchange: id, response, now: now) }
            for result in results {
                if result.through >= requestedTicket { commitOutstanding = false }
                releaseHeldResponses(result, now: now)
            }
            if !awaitingCommit.isEmpty && (!commitOutstanding || highestTicket > requestedTicket) {
                requestedTicket = highestTicket
                commitOutstanding = true
                commitThread.request(upTo: highestTicket, for: self)
            }
            if state.draining {
                if drain(now: now) { break }
            }
            if now >= nextTimerCheck && now - lastDeadlineScan >= Self.minimumScanInterval {
                lastDeadlineScan = now
                checkDeadlines(now: now)
            }
            if now >= acceptResumeTime && listenFD >= 0 {
                acceptResumeTime = .infinity
                register(listenFD, events: Self.readable, operation: 1)
            }
        }
        for connection in Array(connections.values) { close(connection) }
        if listenFD >= 0 { Glibc.close(listenFD) }
        closeWakeDescriptor()
        Glibc.close(epollFD)
    }

    /// Stops accepting, closes idle connections, and reports whether the loop may exit.
    private func drain(now: Double) -> Bool {
        if !drainStarted {
            drainStarted = true
            register(listenFD, events: 0, operation: 2)
            Glibc.close(listenFD)
            listenFD = -1
        }
        if now >= state.drainDeadline { return true }
        for connection in Array(connections.values)
        where connection.parser.phase == .idle && !connection.hasPendingOutput && !connection.lingering
            && !connection.isWaiting
        {
            close(connection)
        }
        return connections.isEmpty
    }

    // MARK: - Accept

    private func acceptConnections(now: Double) {
        for _ in 0..<Self.acceptsPerEvent {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    accept(listenFD, $0, &length)
                }
            }
            if fd < 0 {
                switch errno {
                case EINTR, ECONNABORTED: continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // Out of descriptors: a level-triggered listener would wake us in a tight loop, so
                    // stop watching it briefly; closing connections frees descriptors meanwhile.
                    register(listenFD, events: 0, operation: 1)
                    acceptResumeTime = now + Self.acceptBackoffSeconds
                    noteDeadline(acceptResumeTime)
                    return
                default: return  // EAGAIN: the queue is empty
                }
            }
            // accept4 needs _GNU_SOURCE, which Swift's Glibc module does not define; two fcntls are cheap.
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            guard !state.draining, state.acquireConnection() else {
                Glibc.close(fd)
                continue
            }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            var ssl: OpaquePointer?
            if let tlsContext {
                ERR_clear_error()
                ssl = SSL_new(tlsContext)
                guard let ssl, SSL_set_fd(ssl, fd) == 1 else {
                    if let ssl { SSL_free(ssl) }
                    ERR_clear_error()
                    Glibc.close(fd)
                    state.releaseConnection()
                    continue
                }
                SSL_set_accept_state(ssl)
            }
            let peer = SocketAddress(storage: storage, length: length).ipString
            let connection = Connection(
                fd: fd, ssl: ssl, parser: HTTPRequestParser(limits: limits, remoteAddress: peer), now: now)
            connections[fd] = connection
            connection.registeredEvents = Self.readable
            register(fd, events: Self.readable, operation: 0)
            updateDeadline(connection, now: now)
        }
    }

    // MARK: - Reading

    private func handleReadable(_ connection: Connection, now: Double) {
        if connection.tlsWriteWantsRead {
            connection.tlsWriteWantsRead = false
            flush(connection, now: now)
            guard isOpen(connection) else { return }
        }
        var reads = 0
        while wantsRead(connection) {
            switch connection.read(into: scratch) {
            case .data(let count):
                connection.tlsReadWantsWrite = false
                reads += 1
                if !connection.lingering {
                    connection.parser.append(UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
                    processRequests(connection, now: now)
                    guard isOpen(connection) else { return }
                }
                if reads >= Self.readsPerEvent {
                    if connection.hasBufferedTLSInput { pendingReads.append(connection.fd) }
                    return finishEvent(connection, now: now)
                }
            case .wouldBlock(let wantsWrite):
                connection.tlsReadWantsWrite = wantsWrite
                return finishEvent(connection, now: now)
            case .endOfStream:
                connection.peerClosed = true
                if connection.lingering || !connection.hasPendingOutput {
                    // A request cut off mid-way has no one left to answer.
                    return close(connection)
                }
                connection.closeAfterWrite = true
                return finishEvent(connection, now: now)
            case .failed:
                return close(connection)
            }
        }
        finishEvent(connection, now: now)
    }

    private func wantsRead(_ connection: Connection) -> Bool {
        if connection.lingering { return true }
        if connection.isWaiting { return false }
        return !connection.closeAfterWrite && !connection.peerClosed
            && connection.pendingOutputCount < Self.outputHighWater
    }

    /// Runs every complete request in the buffer through the handler, in order, and writes the responses.
    private func processRequests(_ connection: Connection, now: Double) {
        if !connection.hasPendingOutput {
            connection.lastWriteProgress = now  // the write-stall clock starts with this batch
        }
        while true {
            let stoppedForBackpressure = runParser(connection, now: now)
            // If the socket took the backlog, requests still buffered must run now: no new input
            // event may ever come for them.
            guard stoppedForBackpressure, isOpen(connection), connection.pendingOutputCount < Self.outputHighWater
            else { return }
        }
    }

    /// Handles complete requests until input runs out or output passes the high-water mark, then
    /// flushes; returns whether it stopped because of the mark.
    private func runParser(_ connection: Connection, now: Double) -> Bool {
        var produced = false
        var stoppedForBackpressure = false
        parsing: while !connection.closeAfterWrite && !connection.isWaiting {
            if connection.pendingOutputCount >= Self.outputHighWater {
                stoppedForBackpressure = true
                break parsing
            }
            switch connection.parser.next() {
            case .needMore:
                if connection.parser.expectsContinue {
                    connection.parser.expectsContinue = false
                    connection.output.append(contentsOf: "HTTP/1.1 100 Continue\r\n\r\n".utf8)
                    produced = true
                }
                break parsing
            case .request(let request):
                let response = handler.handle(request)
                connection.requestsServed += 1
                nextExchangeId &+= 1
                let exchange = Connection.Exchange(
                    id: nextExchangeId, suppressBody: request.method == "HEAD", keepsAlive: Self.keepsAlive(request),
                    isHTTP10: request.version == "HTTP/1.0")
                if let promise = response.pending {
                    connection.awaitingAnswer = exchange
                    awaitingAnswers[exchange.id] = connection
                    promise.attach { [self] answer in answerCompleted(exchange: exchange.id, answer) }
                    break parsing
                }
                guard respond(connection, response, exchange) else { break parsing }
                produced = true
            case .failure(let status, let reason):
                let response = handler.malformedRequestResponse(status: status, reason: reason)
                HTTPResponseEncoder.encode(
                    response, suppressBody: false, connection: .close, date: currentDate(), into: &connection.output)
                connection.closeAfterWrite = true
                produced = true
            }
        }
        notePhase(connection, now: now)
        if produced { flush(connection, now: now) }
        return stoppedForBackpressure
    }

    /// Encodes `response` into the connection's output and returns true, or holds it for its commit and
    /// returns false.
    private func respond(_ connection: Connection, _ response: HTTPResponse, _ exchange: Connection.Exchange) -> Bool {
        let close = state.draining || !exchange.keepsAlive || Self.asksToClose(response.headers)
        let header: HTTPResponseEncoder.ConnectionHeader = close ? .close : (exchange.isHTTP10 ? .keepAlive : .none)
        if let commit = response.commit {
            connection.held = Connection.HeldResponse(
                response: response, suppressBody: exchange.suppressBody, connectionHeader: header,
                closeAfterWrite: close)
            awaitingCommit.append((connection, commit.ticket))
            highestTicket = max(highestTicket, commit.ticket)
            return false
        }
        HTTPResponseEncoder.encode(
            response, suppressBody: exchange.suppressBody, connection: header, date: currentDate(),
            into: &connection.output)
        connection.closeAfterWrite = close
        return true
    }

    /// Sends (or holds for its commit) the answer a handler completed, and resumes the connection.
    private func deliverAnswer(exchange id: UInt64, _ completed: HTTPResponse, now: Double) {
        guard let connection = awaitingAnswers.removeValue(forKey: id), let exchange = connection.awaitingAnswer,
            exchange.id == id
        else { return }
        connection.awaitingAnswer = nil
        // A promise completed with another placeholder is the handler's bug; the client still gets an answer.
        let response =
            completed.pending == nil
            ? completed : handler.malformedRequestResponse(status: 500, reason: "no answer was produced")
        guard isOpen(connection) else {
            // The client left, but what stands behind the answer is still committed and settled.
            if let commit = response.commit {
                connection.held = Connection.HeldResponse(
                    response: response, suppressBody: true, connectionHeader: .close, closeAfterWrite: true)
                awaitingCommit.append((connection, commit.ticket))
                highestTicket = max(highestTicket, commit.ticket)
            }
            return
        }
        if !connection.hasPendingOutput { connection.lastWriteProgress = now }
        guard respond(connection, response, exchange) else { return finishEvent(connection, now: now) }
        connection.inputWhileHeld = false
        flush(connection, now: now)
        guard isOpen(connection) else { return }
        if !connection.closeAfterWrite && connection.parser.bufferedByteCount > 0 {
            processRequests(connection, now: now)  // pipelined requests that arrived behind this one
            guard isOpen(connection) else { return }
        }
        if wantsRead(connection) && connection.hasBufferedTLSInput { pendingReads.append(connection.fd) }
        finishEvent(connection, now: now)
    }

    private static func keepsAlive(_ request: HTTPRequest) -> Bool {
        let tokens = request.headerValues(lowercaseName: "connection").flatMap { $0.split(separator: ",") }
            .map { $0.trimmingSpacesAndTabs().lowercased() }
        if tokens.contains("close") { return false }
        return request.version == "HTTP/1.1" || tokens.contains("keep-alive")
    }

    private static func asksToClose(_ headers: HTTPHeaders) -> Bool {
        headers.values(for: "Connection").contains { $0.lowercased().contains("close") }
    }

    // MARK: - Commit

    /// Sends every held response that `result` covers (or, when the commit failed, the handler's
    /// replacement) and resumes its connection.
    private func releaseHeldResponses(_ result: CommitThread.Result, now: Double) {
        var covered: [Connection] = []
        awaitingCommit.removeAll { entry in
            guard entry.ticket <= result.through else { return false }
            covered.append(entry.connection)
            return true
        }
        for connection in covered {
            guard let held = connection.held else { continue }
            // Whether or not the client is still there to receive it: the handler counts what was decided.
            held.response.commit?.settled?(result.succeeded)
            guard isOpen(connection) else {
                connection.held = nil
                continue
            }
            connection.held = nil
            connection.inputWhileHeld = false
            let response =
                result.succeeded ? held.response : (held.response.commit?.fallback() ?? held.response)
            if !connection.hasPendingOutput { connection.lastWriteProgress = now }
            HTTPResponseEncoder.encode(
                response, suppressBody: held.suppressBody, connection: held.connectionHeader, date: currentDate(),
                into: &connection.output)
            connection.closeAfterWrite = held.closeAfterWrite
            flush(connection, now: now)
            guard isOpen(connection) else { continue }
            if !connection.closeAfterWrite && connection.parser.bufferedByteCount > 0 {
                // Pipelined requests that arrived behind the held one.
                processRequests(connection, now: now)
                guard isOpen(connection) else { continue }
            }
            if wantsRead(connection) && connection.hasBufferedTLSInput { pendingReads.append(connection.fd) }
            finishEvent(connection, now: now)
        }
    }

    // MARK: - Writing

    private func handleWritable(_ connection: Connection, now: Double) {
        if connection.tlsReadWantsWrite {
            connection.tlsReadWantsWrite = false
            handleReadable(connection, now: now)
            guard isOpen(connection) else { return }
        }
        flush(connection, now: now)
        guard isOpen(connection) else { return }
        if !connection.closeAfterWrite && connection.pendingOutputCount < Self.outputHighWater
            && connection.parser.bufferedByteCount > 0
        {
            // Requests left in the buffer while we were backed up.
            processRequests(connection, now: now)
            guard isOpen(connection) else { return }
        }
        if wantsRead(connection) && connection.hasBufferedTLSInput {
            // Input OpenSSL decrypted before we paused; epoll will not report it again.
            pendingReads.append(connection.fd)
        }
        finishEvent(connection, now: now)
    }

    /// Writes as much queued output as the socket takes; on completion either keeps the connection
    /// for the next request or starts the close.
    private func flush(_ connection: Connection, now: Double) {
        let hadOutput = connection.hasPendingOutput
        while connection.hasPendingOutput {
            let result = connection.output.withUnsafeBytes { bytes in
                connection.write(UnsafeRawBufferPointer(rebasing: bytes[connection.outputOffset...]))
            }
            switch result {
            case .wrote(let count):
                connection.outputOffset += count
                connection.lastWriteProgress = now
            case .wouldBlock(let wantsRead):
                connection.tlsWriteWantsRead = wantsRead
                if connection.outputOffset >= 64 * 1024 && connection.outputOffset * 2 >= connection.output.count {
                    // A reader that never quite catches up must not make the sent prefix grow forever.
                    connection.output.removeSubrange(0..<connection.outputOffset)
                    connection.outputOffset = 0
                }
                return finishEvent(connection, now: now)
            case .failed:
                return close(connection)
            }
        }
        if connection.output.capacity > 4 * Self.outputHighWater {
            connection.output = []  // a burst should not pin megabytes for the connection's lifetime
        } else {
            connection.output.removeAll(keepingCapacity: true)
        }
        connection.outputOffset = 0
        if hadOutput && connection.parser.phase == .idle {
            connection.phaseStart = now  // keep-alive idle time counts from the end of the response
        }
        if connection.closeAfterWrite && !connection.lingering {
            if connection.peerClosed { return close(connection) }
            connection.shutdownWriteSide()
            connection.lingering = true
            connection.deadline = now + min(Self.lingerSeconds, max(configuration.headerTimeout, 0.1))
            noteDeadline(connection.deadline)
        }
        finishEvent(connection, now: now)
    }

    // MARK: - Bookkeeping

    private func finishEvent(_ connection: Connection, now: Double) {
        guard isOpen(connection) else { return }
        var events: UInt32 = 0
        if connection.isWaiting {
            // Nothing is read while an answer is on its way (from a handler or a commit). Reading stays registered as it was, which
            // saves two epoll_ctl calls per request for a client that waits for its answer, until input does
            // arrive (pipelining, a hang-up): epoll is level-triggered and would report it again and again.
            // Earlier answers may still be draining.
            if !connection.inputWhileHeld { events |= connection.registeredEvents & Self.readable }
            if connection.hasPendingOutput {
                events |= Self.writable
                if connection.tlsWriteWantsRead { events |= Self.readable }
            }
        } else {
            if wantsRead(connection) || connection.tlsWriteWantsRead { events |= Self.readable }
            if connection.hasPendingOutput || connection.tlsReadWantsWrite { events |= Self.writable }
        }
        if events != connection.registeredEvents {
            connection.registeredEvents = events
            register(connection.fd, events: events, operation: 1)
        }
        // A waiting connection has no deadline; its answer sets the next one.
        if !connection.isWaiting { updateDeadline(connection, now: now) }
    }

    private func notePhase(_ connection: Connection, now: Double) {
        let phase = connection.parser.phase
        if phase != connection.lastPhase {
            connection.lastPhase = phase
            connection.phaseStart = now
        }
    }

    /// Picks the deadline that applies to what the connection is doing now.
    private func updateDeadline(_ connection: Connection, now: Double) {
        if connection.lingering { return }
        if connection.hasPendingOutput {
            connection.deadline = connection.lastWriteProgress + configuration.bodyTimeout
        } else {
            notePhase(connection, now: now)
            switch connection.lastPhase {
            case .idle:
                let limit = connection.requestsServed == 0 ? configuration.headerTimeout : configuration.idleTimeout
                connection.deadline = connection.phaseStart + limit
            case .head: connection.deadline = connection.phaseStart + configuration.headerTimeout
            case .body: connection.deadline = connection.phaseStart + configuration.bodyTimeout
            }
        }
        noteDeadline(connection.deadline)
    }

    private func noteDeadline(_ deadline: Double) {
        if deadline < nextTimerCheck { nextTimerCheck = deadline }
    }

    private func checkDeadlines(now: Double) {
        nextTimerCheck = acceptResumeTime
        var expired: [Connection] = []
        for connection in connections.values {
            if connection.isWaiting {
                continue  // its deadline is set again when its answer arrives
            } else if connection.deadline <= now {
                expired.append(connection)
            } else {
                noteDeadline(connection.deadline)
            }
        }
        for connection in expired { expire(connection, now: now) }
    }

    /// A deadline passed: a request that started gets a 408; anything else is closed silently.
    private func expire(_ connection: Connection, now: Double) {
        if connection.lingering || connection.hasPendingOutput || connection.closeAfterWrite
            || connection.parser.phase == .idle
        {
            return close(connection)
        }
        let response = handler.malformedRequestResponse(status: 408, reason: "request not received in time")
        HTTPResponseEncoder.encode(
            response, suppressBody: false, connection: .close, date: currentDate(), into: &connection.output)
        connection.closeAfterWrite = true
        connection.lastWriteProgress = now
        flush(connection, now: now)
    }

    private func isOpen(_ connection: Connection) -> Bool { connections[connection.fd] === connection }

    private func close(_ connection: Connection) {
        guard isOpen(connection) else { return }
        connections[connection.fd] = nil
        register(connection.fd, events: 0, operation: 2)
        connection.close()
        state.releaseConnection()
    }

    private func register(_ fd: Int32, events: UInt32, operation: Int32) {
        _ = CSystemShims_epoll_ctl(epollFD, operation, fd, events)
    }

    /// The `Date` header value, formatted once per second per loop.
    private func currentDate() -> [UInt8] {
        let second = Int(time(nil))
        if second != dateSecond {
            dateSecond = second
            dateBytes = HTTPResponseEncoder.httpDate(epochSeconds: second)
        }
        return dateBytes
    }
}

/// Commit results on their way from the commit thread to a loop.
struct CommitInbox {
    var results: [CommitThread.Result] = []
    /// Answers completed by handlers: the exchange id and the response.
    var answers: [(UInt64, HTTPResponse)] = []
    /// Set when the loop closes its wake-up descriptor; later results are dropped.
    var closed = false
}
