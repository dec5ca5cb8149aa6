import AnchorageBasics
public import AnchorageCore
import AnchorageLocking
public import AnchorageRedis

/// The ``AdmissionStore`` of replicas that share their replay cache and rate limits through Redis
/// (`serve --shared-state`): one `EVALSHA` of ``AdmissionScript`` per CreateSession, sent through the
/// pipelined ``RedisClient``; the completion runs on the client's thread.
///
/// When Redis cannot decide (unreachable, deadline passed, a reply that is not a verdict):
/// * `closed` (the default): ``AdmissionVerdict/unavailable(detail:)`` — the request fails with 503;
/// * `open`: the embedded ``RequestAdmission`` of this replica decides instead (per-replica limits and
///   replay cache), and a warning is logged at most once a minute.
///
/// Either way the next request tries Redis again: nothing needs restarting when it returns.
public final class SharedAdmission: AdmissionStore {
    public enum FailureMode: String, Sendable {
        case closed
        case open
    }

    public let settings: RequestAdmission.Settings
    public let client: RedisClient
    public let failureMode: FailureMode
    /// This replica's own state, deciding in `open` mode while Redis is unavailable.
    let fallback: RequestAdmission?
    let logger: Logger
    /// Monotonic seconds of the last open-mode warning.
    private let lastWarning = Locked<Double?>(nil)

    public init(
        client: RedisClient, settings: RequestAdmission.Settings, failureMode: FailureMode, logger: Logger
    ) {
        self.client = client
        self.settings = settings
        self.failureMode = failureMode
        self.fallback = failureMode == .open ? RequestAdmission(settings) : nil
        self.logger = logger
    }

    public var checksSourceInBatch: Bool { true }

    public func admitSourceEarly(_ address: String) -> CreateSessionOutcome? { nil }

    public func admit(_ batch: AdmissionBatch, completion: @escaping @Sendable (AdmissionVerdict) -> Void) {
        let settings = settings
        client.send([AdmissionScript.command(batch, settings: settings)]) { [self] result in
            switch result {
            case .success(let replies) where replies.first?.errorCode == "NOSCRIPT":
                // Redis lost its script cache (SCRIPT FLUSH, a failover): send the script itself, once.
                client.send([AdmissionScript.command(batch, settings: settings, inline: true)]) { [self] again in
                    conclude(batch, again, completion)
                }
            default:
                conclude(batch, result, completion)
            }
        }
    }

    private func conclude(
        _ batch: AdmissionBatch, _ result: Result<[RESPValue], RedisError>,
        _ completion: @Sendable (AdmissionVerdict) -> Void
    ) {
        let verdict: AdmissionVerdict
        switch result {
        case .success(let replies):
            verdict = replies.count == 1 ? AdmissionScript.verdict(replies[0]) : .unavailable(detail: "no reply")
        case .failure(let error): verdict = .unavailable(detail: "shared state: \(error)")
        }
        guard case .unavailable(let detail) = verdict else {
            completion(verdict)
            return
        }
        guard let fallback else {
            completion(verdict)
            return
        }
        warnOpen(detail)
        completion(fallback.decide(batch))
    }

    /// At most one warning a minute while requests fall back to this replica's own state.
    private func warnOpen(_ detail: String) {
        let now = MonotonicTime.seconds
        let due = lastWarning.withLock { last in
            guard last.map({ now - $0 >= 60 }) ?? true else { return false }
            last = now
            return true
        }
        if due {
            logger.warning(
                "shared state unavailable; --shared-state-failure open: deciding replay and rate limits with this "
                    + "replica's own state until Redis answers again", ["error": detail])
        }
    }
}
