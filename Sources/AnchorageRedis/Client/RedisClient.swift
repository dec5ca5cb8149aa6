import AnchorageBasics
import AnchorageLocking
import CSystemShims
import Foundation
import Glibc

/// A pipelined Redis connection served by one thread of its own, whatever the number of callers.
///
/// Callers on any thread (the HTTP event loops) ``send(_:completion:)`` a batch of commands and return at
/// once; the connection thread writes every batch waiting, reads the replies in order and calls each
/// batch's completion on that thread. Nothing a caller does waits for Redis.
///
/// * **Deadline**: each batch has ``Options/commandTimeout``; when it passes, the completion gets
///   ``RedisError/Code/timeout``. A reply that arrives later is read and dropped, so the stream stays in
///   step; a connection whose oldest unanswered command is overdue by ``Options/stuckAfter`` is closed.
/// * **Bounded**: at most ``Options/maximumQueued`` batches wait or are in flight; one more fails at once
///   with ``RedisError/Code/queueFull``.
/// * **Reconnection**: a lost connection is opened again at once, then with exponential backoff
///   (``Options/minimumBackoff`` doubling up to ``Options/maximumBackoff``). While the last attempt
///   failed, a batch fails at once with ``RedisError/Code/unavailable`` rather than waiting.
/// * **Loading**: Redis answers `-LOADING` while it loads its dataset (after a restart with persistence, a
///   replica's full resynchronization). That is a transient unavailability, not a reply: the batch fails with
///   ``RedisError/Code/unavailable`` and the client is not ready (``isReady``, ``Event/disconnected(_:)``) until
///   Redis answers a command with anything else (``Event/connected``). A handshake command refused so is a
///   failed connection attempt, retried with backoff.
/// * **Handshake** on every connection: `AUTH` (with ``Options/password``), `SELECT`, then
///   ``Options/setup`` (e.g. `SCRIPT LOAD`), pipelined ahead of the first batch; with ``Options/tls``, after a
///   TLS handshake that verifies Redis's certificate and name.
public final class RedisClient: Sendable {
    public struct Options: Sendable {
        public var endpoint: RedisEndpoint
        /// Sent with `AUTH`; never logged.
        public var password: String?
        /// TLS (`rediss://`); nil: plain TCP.
        public var tls: RedisTLSConfiguration?
        /// Seconds a batch may wait for its replies.
        public var commandTimeout: Double = 0.5
        /// Seconds a connection attempt may take.
        public var connectTimeout: Double = 1
        /// Batches waiting or in flight at most.
        public var maximumQueued = 4096
        public var minimumBackoff: Double = 0.05
        public var maximumBackoff: Double = 1
        /// Seconds past its deadline after which an unanswered command marks the server as stuck.
        public var stuckAfter: Double = 2
        /// Commands sent after `AUTH` and `SELECT` on each new connection; an error reply fails the connection.
        public var setup: [RedisCommand] = []
        public var limits: RESPLimits = .standard

        public init(endpoint: RedisEndpoint, password: String? = nil, tls: RedisTLSConfiguration? = nil) {
            self.endpoint = endpoint
            self.password = password
            self.tls = tls ?? (endpoint.tls ? RedisTLSConfiguration() : nil)
        }
    }

    /// What the connection thread reports: for logs and readiness.
    public enum Event: Sendable {
        case connected
        case disconnected(RedisError)
    }

    public typealias Completion = @Sendable (Result<[RESPValue], RedisError>) -> Void

    final class Batch: @unchecked Sendable {
        let commands: [RedisCommand]
        let completion: Completion
        let deadline: UInt64
        /// Touched by the connection thread only.
        var replies: [RESPValue] = []
        var done = false

        init(commands: [RedisCommand], completion: @escaping Completion, deadline: UInt64) {
            self.commands = commands
            self.completion = completion
            self.deadline = deadline
        }

        func finish(_ result: Result<[RESPValue], RedisError>) {
            guard !done else { return }
            done = true
            completion(result)
        }
    }

    struct Shared {
        var incoming: [Batch] = []
        var wakePending = false
        /// Batches accepted and not completed.
        var outstanding = 0
        var stopping = false
        /// The handshake of the current connection completed.
        var ready = false
        /// The last connection attempt failed: batches fail at once until one succeeds.
        var down = false
        /// Why the last connection attempt failed (a ``RedisError`` detail: never a password), while ``down``.
        var lastFailure: String?
        var commandsSent: UInt64 = 0
    }

    public let options: Options
    let shared = Locked(Shared())
    let wakeFD: Int32
    private let events: @Sendable (Event) -> Void

    /// Starts the connection thread; the first connection is attempted at once.
    public init(_ options: Options, events: @escaping @Sendable (Event) -> Void = { _ in }) throws(RedisError) {
        let fd = CSystemShims_eventfd()
        guard fd >= 0 else { throw RedisError(.unavailable, "eventfd: \(String(cString: strerror(errno)))") }
        // OpenSSL writes with write(2): a peer that resets must not kill the process.
        if options.tls != nil { signal(SIGPIPE, SIG_IGN) }
        self.options = options
        self.wakeFD = fd
        self.events = events
        let loop = RedisConnectionLoop(client: self)
        let thread = Thread {
            ThreadNaming.set("anchorage-redis")
            loop.run()
        }
        thread.start()
    }

    /// Sends `commands` as one pipelined batch; `completion` gets their replies in order (an error reply
    /// is a value, not a failure, except `LOADING`: see **Loading** above), or the reason none came. Never
    /// blocks; `completion` runs on the connection thread, or on the caller's when the batch is refused at once.
    public func send(_ commands: [RedisCommand], completion: @escaping Completion) {
        precondition(!commands.isEmpty)
        let batch = Batch(
            commands: commands, completion: completion,
            deadline: MonotonicTime.nanoseconds &+ UInt64(options.commandTimeout * 1e9))
        let maximum = options.maximumQueued
        let (refusal, wake): (RedisError?, Bool) = shared.withLock { state in
            if state.stopping { return (RedisError(.stopped, "the client is stopped"), false) }
            if state.down { return (RedisError.unreachable(state.lastFailure), false) }
            if state.outstanding >= maximum {
                return (RedisError(.queueFull, "\(maximum) commands are waiting"), false)
            }
            state.outstanding += 1
            state.incoming.append(batch)
            let wake = !state.wakePending
            state.wakePending = true
            return (nil, wake)
        }
        if let refusal {
            batch.finish(.failure(refusal))
            return
        }
        if wake { wakeUp() }
    }

    deinit { Glibc.close(wakeFD) }

    /// Whether a connection is open, its handshake done and Redis not loading its dataset (what `/readyz` reports).
    public var isReady: Bool { shared.withLock { $0.ready } }

    /// Commands written to Redis since start (handshakes included).
    public var commandsSent: UInt64 { shared.withLock { $0.commandsSent } }

    /// Fails every waiting batch with ``RedisError/Code/stopped``, closes the connection and ends the thread.
    public func stop() {
        shared.withLock { $0.stopping = true }
        wakeUp()
    }

    func wakeUp() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, 8)
    }

    func report(_ event: Event) { events(event) }
}

/// Names the calling thread for `top -H` (the kernel keeps 15 bytes).
enum ThreadNaming {
    static func set(_ name: String) {
        _ = CSystemShims_set_thread_name(String(decoding: name.utf8.prefix(15), as: UTF8.self))
    }
}
