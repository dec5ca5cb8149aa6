public import AnchorageCore
import AnchorageLocking

/// The credentials `serve` hands out, with the rule that matters: never empty or expired credentials
/// as a success. A failed refresh keeps the last good credentials until they expire; after that
/// (or before the first success) the cache has nothing to serve.
public final class CredentialCache: Sendable {
    public struct Entry: Sendable, Equatable {
        public var credentials: SessionCredentials
        /// When they were obtained, seconds since the epoch.
        public var lastUpdated: Int64
    }

    private struct State {
        var entry: Entry?
        var lastError: String?
    }

    private let state = Locked(State())
    private let clock: any WallClock
    /// Refresh this many seconds before expiry (5 minutes).
    public let refreshBefore: Int64

    public init(clock: any WallClock = SystemClock(), refreshBefore: Int64 = 300) {
        self.clock = clock
        self.refreshBefore = refreshBefore
    }

    /// Valid credentials, or nil when there are none that have not expired.
    public func current() -> Entry? {
        let now = clock.seconds
        return state.withLock { state in
            guard let entry = state.entry, entry.credentials.expirationSeconds > now else { return nil }
            return entry
        }
    }

    /// Why the last refresh failed (nil after a success).
    public var lastError: String? { state.withLock { $0.lastError } }

    /// True when there are no credentials or they expire within `refreshBefore` seconds.
    public var needsRefresh: Bool {
        let now = clock.seconds
        return state.withLock { state in
            guard let entry = state.entry else { return true }
            return entry.credentials.expirationSeconds - refreshBefore <= now
        }
    }

    /// Seconds until the next refresh is due (≤ 0 when due now).
    public var secondsUntilRefresh: Int64 {
        let now = clock.seconds
        return state.withLock { state in
            guard let entry = state.entry else { return 0 }
            return entry.credentials.expirationSeconds - refreshBefore - now
        }
    }

    /// Replaces the credentials after a successful CreateSession.
    public func store(_ credentials: SessionCredentials) {
        let now = clock.seconds
        state.withLock { state in
            state.entry = Entry(credentials: credentials, lastUpdated: now)
            state.lastError = nil
        }
    }

    /// Records a failed refresh; the previous credentials stay (until they expire).
    public func recordFailure(_ message: String) {
        state.withLock { $0.lastError = message }
    }

    /// Runs `fetch` when a refresh is due and stores or records the outcome. Returns true on success
    /// or when nothing was due.
    @discardableResult
    public func refreshIfNeeded(_ fetch: () throws -> SessionCredentials) -> Bool {
        guard needsRefresh else { return true }
        do {
            store(try fetch())
            return true
        } catch {
            recordFailure("\(error)")
            return false
        }
    }
}
