/// A token-bucket rate: `rate` tokens are added per second, up to `burst`; each request takes one.
public struct RateLimit: Sendable, Equatable, CustomStringConvertible {
    /// Sustained requests per second (> 0).
    public var rate: Double
    /// Requests allowed back to back after an idle period (≥ 1).
    public var burst: Double

    public init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = burst
    }

    /// Parses `RATE[/BURST]` (e.g. `10/20`, `0.5/5`, `100`; burst defaults to twice the rate, at least 1).
    /// `0` (or `off`) means no limit and gives `.some(nil)`; malformed text gives nil.
    public static func parse(_ text: String) -> RateLimit?? {
        if text == "0" || text == "off" { return .some(nil) }
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let rate = Double(parts[0]), rate.isFinite, rate > 0, rate <= 1_000_000 else { return nil }
        var burst = max(1, (rate * 2).rounded(.up))
        if parts.count == 2 {
            guard let value = Double(parts[1]), value.isFinite, value >= 1, value <= 10_000_000 else { return nil }
            burst = value
        }
        return .some(RateLimit(rate: rate, burst: burst))
    }

    /// Seconds an idle bucket takes to refill completely.
    public var refillSeconds: Double { burst / rate }

    public var description: String {
        func number(_ value: Double) -> String {
            value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        }
        return "\(number(rate))/s burst \(number(burst))"
    }
}
