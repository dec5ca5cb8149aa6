internal import Glibc

/// The AWS SDKs' standard retryer: at most 3 attempts; between them a full-jitter exponential
/// backoff (`random(0..<1) × min(2^attempt, 20)` seconds); retried are connection errors, 5xx and
/// throttling — never another 4xx, nor a TLS verification failure.
public struct RetryPolicy: Sendable {
    public var maxAttempts: Int
    public var maxBackoff: Double
    /// Sleeps between attempts; injected by tests.
    public var sleep: @Sendable (Double) -> Void
    /// A number in 0..<1; injected by tests.
    public var random: @Sendable () -> Double

    public static let standard = RetryPolicy(
        maxAttempts: 3, maxBackoff: 20, sleep: { seconds in usleep(UInt32(seconds * 1_000_000)) },
        random: { Double.random(in: 0..<1) })

    public init(
        maxAttempts: Int, maxBackoff: Double, sleep: @escaping @Sendable (Double) -> Void,
        random: @escaping @Sendable () -> Double
    ) {
        self.maxAttempts = maxAttempts
        self.maxBackoff = maxBackoff
        self.sleep = sleep
        self.random = random
    }

    /// The delay before retry number `retry` (0 for the first retry).
    public func backoff(retry: Int) -> Double {
        random() * min(pow(2, Double(retry)), maxBackoff)
    }

    /// Runs `attempt` until it succeeds, fails for good, or the attempts are used up.
    /// `log` receives one line per retry.
    public func run<T>(
        log: (String) -> Void, _ attempt: () throws -> T
    ) throws -> T {
        var number = 1
        while true {
            do {
                return try attempt()
            } catch {
                guard number < maxAttempts, Self.isRetryable(error) else { throw error }
                let delay = backoff(retry: number - 1)
                log("attempt \(number) failed (\(error)); retrying in \(SystemIO.fixed(delay, places: 2)) s")
                sleep(delay)
                number += 1
            }
        }
    }

    /// Connection errors, 5xx and throttling.
    public static func isRetryable(_ error: any Error) -> Bool {
        switch error {
        case let service as ServiceError: return service.isRetryable
        case is TransportError: return true
        default: return false
        }
    }
}

/// The request never got an answer: connect, write or read failed (retryable).
public struct TransportError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
