import AnchorageBasics
import AnchorageLocking
import Dispatch
internal import Glibc

/// An HTTP/1.1 server over plain TCP or TLS.
///
/// `eventLoopCount` threads each run an epoll loop with its own `SO_REUSEPORT` listener on the same
/// port; the kernel spreads new connections across them and a connection stays on its loop for
/// life. The handler runs inline on that loop.
public final class HTTPServer: Sendable {
    private enum Lifecycle {
        case idle
        case running([EventLoop])
        case stopping
        case stopped
    }

    private let configuration: HTTPServerConfiguration
    private let handler: any HTTPHandler
    private let state: ServerState
    private let lifecycle = Locked(Lifecycle.idle)
    /// The loops and the commit thread.
    private let running = DispatchGroup()

    /// A server that will serve `handler` with `configuration` once started.
    public init(configuration: HTTPServerConfiguration, handler: any HTTPHandler) {
        self.configuration = configuration
        self.handler = handler
        self.state = ServerState(maxConnections: configuration.maxConnections)
    }

    /// Binds (IPv4 and IPv6 literal hosts, "localhost"), starts the loops, and returns the bound address and actual port.
    public func start() throws -> (host: String, port: Int) {
        try lifecycle.withLock { lifecycle in
            guard case .idle = lifecycle else { throw HTTPError("server already started") }
            // A peer that resets while we write must cost us an EPIPE, not the process.
            signal(SIGPIPE, SIG_IGN)

            let address = try SocketAddress.resolve(host: configuration.host, port: configuration.port, passive: true)
            let count = max(1, configuration.eventLoopCount)
            var listeners: [Int32] = []
            var loops: [EventLoop] = []
            let commitThread = CommitThread(handler: handler)
            var startedLoops = 0
            do {
                if configuration.port != 0 { try address.ensurePortIsFree() }
                let first = try address.listen()
                listeners.append(first)
                let bound = SocketAddress.local(of: first)
                // Port 0 picks an ephemeral port once; the other listeners join that port.
                let shared = address.withPort(bound.port)
                for _ in 1..<count { listeners.append(try shared.listen()) }
                while loops.count < listeners.count {
                    let fd = listeners[loops.count]
                    loops.append(
                        try EventLoop(
                            configuration: configuration, handler: handler, commitThread: commitThread,
                            state: state, listenFD: fd))
                }
                let group = running
                group.enter()
                do {
                    try DetachedThread.start {
                        ThreadName.setCurrent("audit-commit")
                        commitThread.run()
                        group.leave()
                    }
                } catch {
                    group.leave()
                    throw error
                }
                let loopsRunning = DispatchGroup()
                for (index, loop) in loops.enumerated() {
                    group.enter()
                    loopsRunning.enter()
                    do {
                        try DetachedThread.start {
                            ThreadName.setCurrent("http-loop-\(index)")
                            loop.run()
                            loopsRunning.leave()
                            group.leave()
                        }
                    } catch {
                        group.leave()
                        loopsRunning.leave()
                        // The loops already running stop at once (they close their own listeners).
                        state.beginDrain(deadline: MonotonicTime.seconds)
                        for loop in loops.prefix(startedLoops) { loop.wake() }
                        loopsRunning.notify(queue: .global()) { commitThread.stop() }
                        group.wait()
                        lifecycle = .stopped
                        throw error
                    }
                    startedLoops += 1
                }
                // Commits outlive the loops that ask for them: a draining loop may still wait for one.
                loopsRunning.notify(queue: .global()) { commitThread.stop() }
                lifecycle = .running(loops)
                return (host: bound.ipString, port: bound.port)
            } catch {
                // Loops that never ran are discarded here (with their listeners); running ones close their own.
                for loop in loops.dropFirst(startedLoops) { loop.discardUnstarted() }
                for fd in listeners.dropFirst(loops.count) { Glibc.close(fd) }
                throw error
            }
        }
    }

    /// Stops accepting, lets in-flight requests finish and be written, closes idle connections, then
    /// joins the loops; connections still busy after `gracePeriod` seconds are closed. Idempotent.
    public func shutdown(gracePeriod: Double = 10) {
        let loops: [EventLoop] = lifecycle.withLock { lifecycle in
            guard case .running(let loops) = lifecycle else { return [] }
            lifecycle = .stopping
            return loops
        }
        if !loops.isEmpty {
            state.beginDrain(deadline: MonotonicTime.seconds + max(gracePeriod, 0))
            for loop in loops { loop.wake() }
        }
        running.wait()
        lifecycle.withLock { lifecycle in
            if case .stopping = lifecycle { lifecycle = .stopped }
        }
    }

    /// Blocks until the server has been shut down and every loop has exited; returns at once if never started.
    public func waitUntilStopped() {
        running.wait()
    }

    /// Open connections across all loops.
    public var connectionCount: Int { state.connectionCount }

    /// How many times the loops have returned from `epoll_wait` since the start.
    var loopWakeUps: UInt64 { state.wakeUpCount }
}
