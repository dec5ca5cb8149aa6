/// When `update` and `serve` ask for credentials next: `refreshBefore` seconds before the current
/// ones expire, and never in a tight loop.
///
/// A service can hand out credentials that are due for refresh the moment they arrive (a session
/// shorter than `--refresh-before`, a clock far ahead, an expiration in the past); refreshing "when
/// due" would then call CreateSession as fast as it answers. Each success whose credentials are
/// already due waits instead, with exponential backoff and jitter (5 s, 10 s, 20 s, … up to 5
/// minutes, each scaled by a random factor in 0.5..<1), until a success gives credentials that are
/// not due. Failures wait `failureDelay`, also jittered.
public struct RefreshSchedule: Sendable {
    /// The next step: wait this long, then refresh.
    public struct Delay: Sendable, Equatable {
        public var seconds: Double
        /// True when the credentials were already due on arrival (the wait is a backoff).
        public var isBackoff: Bool
    }

    public var refreshBefore: Int64
    public var failureDelay: Double
    public var firstBackoff: Double = 5
    public var maxBackoff: Double = 300
    /// A number in 0..<1; injected by tests.
    public var random: @Sendable () -> Double
    /// Successes in a row whose credentials were already due.
    public private(set) var dueStreak = 0

    public init(
        refreshBefore: Int64, failureDelay: Double,
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.refreshBefore = refreshBefore
        self.failureDelay = failureDelay
        self.random = random
    }

    /// `--refresh-before` must leave time between two refreshes: refused at start when it is not
    /// shorter than the session the helper asks for.
    public static func validate(refreshBefore: Int, sessionDuration: Int) throws(HelperError) {
        guard refreshBefore < sessionDuration else {
            throw HelperError.usage(
                "--refresh-before \(refreshBefore) must be shorter than --session-duration \(sessionDuration): "
                    + "credentials would be due for refresh as soon as they arrive")
        }
    }

    /// The wait after a successful refresh that returned credentials expiring at `expiration`.
    public mutating func afterSuccess(expiration: Int64, now: Int64) -> Delay {
        let due = expiration - refreshBefore - now
        if due > 0 {
            dueStreak = 0
            return Delay(seconds: Double(due), isBackoff: false)
        }
        dueStreak += 1
        let base = min(firstBackoff * Double(1 << min(dueStreak - 1, 16)), maxBackoff)
        return Delay(seconds: base * (0.5 + random() / 2), isBackoff: true)
    }

    /// The wait after a failed refresh.
    public func afterFailure() -> Double {
        failureDelay * (0.5 + random() / 2)
    }
}
