import AnchorageCore
import AnchorageLocking
import AnchorageRedis
import Dispatch

/// Keeps the revocations published in Redis (`anchorage revoke --shared-state`) in this replica's memory,
/// so that no request waits for Redis to learn them.
///
/// Every ``interval`` it reads the version counter (`GET`, one command); when it changed — or after a
/// reconnection, since Redis may have restarted with other data — it reads the whole hash (`HGETALL`, in
/// ``readScript``, which bounds each entry) and hands the entries to the ``ConfigurationStore``, which serves
/// them beside the files' own. CreateSession and STS then refuse a revoked certificate and its sessions within
/// one interval plus a round trip.
///
/// While Redis is unreachable the last entries read stay in force. An entry that does not parse is
/// skipped and logged (the others still apply), and so is one too large to read (``maximumEntryBytes``).
final class SharedRevocations: Sendable {
    /// Seconds between two polls.
    static let interval = 0.25

    /// The longest hash field or value read; a longer one is read as an empty string (and skipped as malformed).
    /// An entry is a few hundred bytes; without this bound, one entry over the client's bulk-string limit would
    /// fail the whole reply, close the connection every poll (failing the admissions in flight on it), and keep
    /// every other revocation from being read.
    static let maximumEntryBytes = 64 * 1024

    /// `HGETALL KEYS[1]` with every field or value longer than `ARGV[1]` bytes replaced by an empty string.
    static let readScript = """
        local all = redis.call('HGETALL', KEYS[1])
        local limit = tonumber(ARGV[1])
        for i = 1, #all do
          if #all[i] > limit then all[i] = '' end
        end
        return all
        """

    /// The command reading every revocation, bounded by ``maximumEntryBytes`` (and the client's own limit).
    var readAll: RedisCommand {
        RedisCommand(
            "EVAL", Self.readScript, "1", SharedStateKeys.revocations,
            String(min(Self.maximumEntryBytes, client.options.limits.maxBulkBytes)))
    }

    private struct State {
        var version: String?
        var polling = false
        var stopped = false
    }

    let client: RedisClient
    let store: ConfigurationStore
    let auditLog: AuditLog
    let logger: Logger
    private let state = Locked(State())
    private let queue = DispatchQueue(label: "anchorage.shared-revocations")

    init(client: RedisClient, store: ConfigurationStore, auditLog: AuditLog, logger: Logger) {
        self.client = client
        self.store = store
        self.auditLog = auditLog
        self.logger = logger
    }

    /// Reads the revocations once and waits for them (at start-up, before the listener opens, so that a
    /// replica never answers before it knows what is revoked); then polls every ``interval`` until ``stop()``.
    /// - Returns: false when Redis did not answer (the poll goes on; the caller warns).
    @discardableResult
    func start() -> Bool {
        var synchronized = false
        if client.waitUntilReady(seconds: client.options.connectTimeout),
            case .success(let replies) = client.sendAndWait([
                RedisCommand("GET", SharedStateKeys.revocationsVersion),
                readAll,
            ]), replies.count == 2, replies[0].errorCode == nil, case .array(let fields?) = replies[1]
        {
            apply(fields)
            state.withLock { $0.version = replies[0].text ?? "0" }
            synchronized = true
        }
        queue.asyncAfter(deadline: .now() + Self.interval) { [self] in tick() }
        return synchronized
    }

    func stop() { state.withLock { $0.stopped = true } }

    private func tick() {
        guard !state.withLock({ $0.stopped }) else { return }
        poll()
        queue.asyncAfter(deadline: .now() + Self.interval) { [self] in tick() }
    }

    /// Forgets the version read, so the next poll reads the whole hash (after a reconnection).
    func invalidate() { state.withLock { $0.version = nil } }

    private func poll() {
        let busy = state.withLock { state in
            defer { state.polling = true }
            return state.polling
        }
        guard !busy else { return }
        client.send([RedisCommand("GET", SharedStateKeys.revocationsVersion)]) { [self] result in
            guard case .success(let replies) = result, let reply = replies.first, reply.errorCode == nil else {
                state.withLock { $0.polling = false }
                return
            }
            let version = reply.text ?? "0"
            let known = state.withLock { $0.version }
            guard known != version else {
                state.withLock { $0.polling = false }
                return
            }
            client.send([readAll]) { [self] result in
                defer { state.withLock { $0.polling = false } }
                guard case .success(let replies) = result, case .array(let fields?)? = replies.first else { return }
                apply(fields)
                state.withLock { $0.version = version }
            }
        }
    }

    private func apply(_ fields: [RESPValue]) {
        var entries: [Revocation] = []
        var index = 0
        while index + 1 < fields.count {
            defer { index += 2 }
            guard case .bulkString(let id?) = fields[index], case .bulkString(let body?) = fields[index + 1] else {
                continue
            }
            do {
                let entry = try Revocation(json: try JSONParser.parse(body), path: "$")
                entries.append(entry)
            } catch {
                logger.error(
                    "a shared revocation does not parse; skipped",
                    ["id": String(decoding: id.prefix(128), as: UTF8.self), "error": "\(error)"])
            }
        }
        entries.sort { $0.id < $1.id }
        if let before = store.setSharedRevocations(entries) {
            RevocationAudit.record(
                from: before, to: store.current, auditLog: auditLog, logger: logger, clock: SystemClock())
        }
    }
}
