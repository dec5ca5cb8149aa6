import AnchorageBasics
public import AnchorageCore
import AnchorageHTTP
import AnchorageLocking
import Dispatch
import Glibc

/// Exchanges Anchorage's decisions for brokered roles into upstream credentials: signs `AssumeRole`, sends it to
/// the role's upstream STS on a worker thread, and hands the answer back through a completion.
///
/// Bounds: the whole exchange (the wait for a worker and both attempts) ends within the upstream's `TimeoutSeconds`
/// (a watchdog answers 503 for one that no worker reached in time); a transport failure
/// or a 5xx is retried once, after a short pause, if time is left; at most ``UpstreamWorkerPool/queueLimit``
/// exchanges wait for a thread.
public final class UpstreamBroker: Sendable {
    /// An HTTP exchange with the upstream: the signed request, the upstream, and the seconds it may take; the
    /// answer's status and body, or why there was none.
    public typealias Transport =
        @Sendable (AssumeRoleRequest, Upstream, Double) -> Result<(status: Int, body: [UInt8]), UpstreamFailure>

    /// The pause before the one retry (shortened to a quarter of the time left).
    static let retryPause = 0.2

    private let pool: UpstreamWorkerPool
    private let credentials = UpstreamCredentialCache()
    private let clock: any WallClock
    private let transport: Transport

    /// A broker sending with `transport` (by default ``send(_:upstream:seconds:)``) on `threads` worker threads.
    public init(
        clock: any WallClock = SystemClock(), threads: Int = 4, queueLimit: Int = 256,
        transport: @escaping Transport = UpstreamBroker.send
    ) {
        self.clock = clock
        self.pool = UpstreamWorkerPool(threads: threads, queueLimit: queueLimit)
        self.transport = transport
    }

    /// How long after the upstream's timeout the watchdog answers for an exchange still waiting for a worker.
    static let watchdogMargin = 0.5

    /// Runs `session`'s exchange on a worker thread and calls `completion` there with the answer and the number of
    /// attempts made; calls it at once (on the caller's thread) with ``UpstreamFailure/overloaded`` when too many
    /// exchanges are waiting. `completion` is called exactly once, within the upstream's timeout (plus
    /// ``watchdogMargin``) of this call: the timeout counts from here, so time spent waiting for a worker is part
    /// of it, and a watchdog answers for an exchange that no worker reached in time.
    public func exchange(
        _ session: BrokeredSession,
        completion: @escaping @Sendable (Result<AssumeRoleResponse.Issued, UpstreamFailure>, Int) -> Void
    ) {
        let timeout = session.upstream.timeoutSeconds
        let deadline = MonotonicTime.seconds + timeout
        let completed = Locked(false)
        let finish: @Sendable (Result<AssumeRoleResponse.Issued, UpstreamFailure>, Int) -> Void = { answer, attempts in
            let first = completed.withLock { done in
                defer { done = true }
                return !done
            }
            if first { completion(answer, attempts) }
        }
        let accepted = pool.submit { [self] in
            let (answer, attempts) = run(session, deadline: deadline)
            finish(answer, attempts)
        }
        guard accepted else {
            finish(.failure(.overloaded), 0)
            return
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout + Self.watchdogMargin) {
            finish(.failure(.unreachable("no answer within the \(timeout) s timeout (waited for a worker)")), 0)
        }
    }

    /// The exchange itself, blocking: at most two attempts before `deadline` (``MonotonicTime``).
    func run(_ session: BrokeredSession, deadline: Double) -> (Result<AssumeRoleResponse.Issued, UpstreamFailure>, Int)
    {
        var attempts = 0
        while true {
            attempts += 1
            let answer = attempt(session, seconds: deadline - MonotonicTime.seconds)
            guard case .failure(let failure) = answer, failure.isRetryable, attempts < 2 else {
                return (answer, attempts)
            }
            let left = deadline - MonotonicTime.seconds
            guard left > 0.05 else { return (answer, attempts) }
            let pause = min(Self.retryPause, left / 4)
            usleepSeconds(pause)
        }
    }

    private func attempt(_ session: BrokeredSession, seconds: Double) -> Result<
        AssumeRoleResponse.Issued, UpstreamFailure
    > {
        guard seconds > 0 else { return .failure(.unreachable("no time left within the timeout")) }
        let keys: UpstreamCredentials
        switch credentials.credentials(session.upstream.credentialsFile) {
        case .success(let value): keys = value
        case .failure(let failure): return .failure(failure)
        }
        let now = clock.seconds
        let request = AssumeRoleRequest(
            session.parameters, endpoint: session.upstream.endpoint, region: session.upstream.region,
            credentials: keys, now: now)
        switch transport(request, session.upstream, seconds) {
        case .success(let answer):
            let parsed = AssumeRoleResponse.parse(status: answer.status, body: answer.body)
            guard case .success(let issued) = parsed else { return parsed }
            // Credentials the caller could not use as asked are a broken or confused upstream's: never handed out.
            let roleArn = session.parameters.roleArn
            guard issued.isSession(of: roleArn) else {
                return .failure(
                    .malformedAnswer(
                        "AssumedRoleUser.Arn \(issued.assumedRoleArn.prefix(256)) is not a session of \(roleArn)",
                        issued.requestId))
            }
            guard issued.credentials.expiration > now else {
                return .failure(
                    .malformedAnswer(
                        "Expiration \(UTCTimestamp.iso8601(issued.credentials.expiration)) is not after now",
                        issued.requestId))
            }
            return parsed
        case .failure(let failure): return .failure(failure)
        }
    }

    private func usleepSeconds(_ seconds: Double) {
        var interval = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
        var remaining = timespec()
        while nanosleep(&interval, &remaining) != 0 && errno == EINTR { interval = remaining }
    }

    /// Sends `request` to `upstream` over one new connection — TLS verified against the upstream's `CABundle`
    /// or the system trust store, or plain HTTP to a loopback endpoint — all within `seconds`.
    public static func send(_ request: AssumeRoleRequest, upstream: Upstream, seconds: Double)
        -> Result<(status: Int, body: [UInt8]), UpstreamFailure>
    {
        let endpoint = upstream.endpoint
        do {
            let connection = try HTTPClientConnection(
                host: endpoint.host, port: endpoint.port,
                tls: endpoint.tls ? TLSClientConfiguration(caFile: upstream.caBundle) : nil, timeout: seconds,
                limits: .standard, deadline: seconds)
            defer { connection.close() }
            var headers = HTTPHeaders()
            for field in request.headers { headers.add(name: field.name, value: field.value) }
            headers.add(name: "Connection", value: "close")
            let response = try connection.send(
                method: request.method, target: request.path, headers: headers, body: request.body)
            return .success((response.status, response.body))
        } catch {
            return .failure(.unreachable("\(endpoint): \(error)"))
        }
    }
}
