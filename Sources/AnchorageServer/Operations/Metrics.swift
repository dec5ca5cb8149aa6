public import AnchorageCore
import AnchorageCrypto
import AnchorageLocking

/// Counters and histograms exposed at `GET /metrics` in the Prometheus text format (version 0.0.4).
///
/// Request-path updates take one uncontended lock each; rendering reads everything under the same locks.
public final class Metrics: Sendable {
    /// Upper bounds of the latency histogram buckets, in seconds.
    static let latencyBuckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]

    struct Histogram {
        var buckets = [UInt64](repeating: 0, count: Metrics.latencyBuckets.count)
        var count: UInt64 = 0
        var sum: Double = 0

        mutating func observe(_ seconds: Double) {
            count += 1
            sum += seconds
            for (index, bound) in Metrics.latencyBuckets.enumerated() where seconds <= bound { buckets[index] += 1 }
        }
    }

    struct State {
        /// `[operation, outcome, reason]` → count.
        var outcomes: [[String]: UInt64] = [:]
        /// operation → latency histogram.
        var latencies: [String: Histogram] = [:]
        var reloads: [String: UInt64] = ["success": 0, "failure": 0]
    }

    private let state = Locked(State())

    public init() {}

    /// Counts one request by `operation` (`CreateSession`, `GetCallerIdentity`, …), outcome and reason.
    public func count(operation: String, outcome: String, reason: String?) {
        state.withLock { $0.outcomes[[operation, outcome, reason ?? ""], default: 0] += 1 }
    }

    /// One request's labels: `operation`, `outcome` and `reason`.
    public struct Outcome: Sendable, Equatable {
        public var operation: String
        public var outcome: String
        public var reason: String?

        public init(operation: String, outcome: String, reason: String?) {
            self.operation = operation
            self.outcome = outcome
            self.reason = reason
        }

        /// The outcome an audit record describes (its `operation`, `outcome` and `reason` fields).
        public init(auditRecord record: JSONValue) {
            self.init(
                operation: record["operation"]?.stringValue ?? "unknown",
                outcome: record["outcome"]?.stringValue ?? "unknown", reason: record["reason"]?.stringValue)
        }
    }

    /// The reason counted for a request answered 503 because its audit record could not be written or flushed:
    /// whatever was decided, the caller got an error (outcome `error`).
    public static let auditUnavailableReason = "audit_unavailable"

    /// Counts one request that was answered as `outcome` says.
    public func count(_ outcome: Outcome) {
        count(operation: outcome.operation, outcome: outcome.outcome, reason: outcome.reason)
    }

    /// Counts one `operation` answered 503 because its audit record could not be kept.
    public func countAuditUnavailable(operation: String) {
        count(operation: operation, outcome: "error", reason: Self.auditUnavailableReason)
    }

    /// Observes the latency of one request to `route` (`CreateSession`, `STS`).
    public func observeLatency(route: String, seconds: Double) {
        state.withLock { $0.latencies[route, default: Histogram()].observe(seconds) }
    }

    /// Counts one configuration reload attempt.
    public func recordReload(succeeded: Bool) {
        state.withLock { $0.reloads[succeeded ? "success" : "failure", default: 0] += 1 }
    }

    /// The exposition text, with gauges read from `configurations` at `now` (seconds since the epoch) and
    /// the audit log's record and flush counters when `audit` is given.
    public func render(
        configurations: ConfigurationStore, connections: Int?, audit: (records: UInt64, flushes: UInt64)? = nil,
        now: Int64
    ) -> String {
        var out = ""
        let snapshot = state.withLock { $0 }

        out += "# HELP anchorage_requests_total Requests by operation, outcome and reason code.\n"
        out += "# TYPE anchorage_requests_total counter\n"
        for key in snapshot.outcomes.keys.sorted(by: { $0.joined(separator: "\u{1}") < $1.joined(separator: "\u{1}") })
        {
            let labels = Self.labels(["operation": key[0], "outcome": key[1], "reason": key[2]])
            out += "anchorage_requests_total\(labels) \(snapshot.outcomes[key]!)\n"
        }

        out += "# HELP anchorage_request_duration_seconds Time to decide and answer a request, by operation.\n"
        out += "# TYPE anchorage_request_duration_seconds histogram\n"
        for operation in snapshot.latencies.keys.sorted() {
            let histogram = snapshot.latencies[operation]!
            for (index, bound) in Self.latencyBuckets.enumerated() {
                let labels = Self.labels(["operation": operation, "le": Self.number(bound)])
                out += "anchorage_request_duration_seconds_bucket\(labels) \(histogram.buckets[index])\n"
            }
            out +=
                "anchorage_request_duration_seconds_bucket\(Self.labels(["operation": operation, "le": "+Inf"])) \(histogram.count)\n"
            out +=
                "anchorage_request_duration_seconds_sum\(Self.labels(["operation": operation])) \(Self.number(histogram.sum))\n"
            out +=
                "anchorage_request_duration_seconds_count\(Self.labels(["operation": operation])) \(histogram.count)\n"
        }

        let configuration = configurations.current
        let reload = configurations.lastReload
        out += "# HELP anchorage_configuration_generation Generation of the configuration being served.\n"
        out += "# TYPE anchorage_configuration_generation gauge\n"
        out += "anchorage_configuration_generation \(configuration.generation)\n"
        out +=
            "# HELP anchorage_configuration_last_reload_success 1 when the last reload succeeded, 0 when it failed.\n"
        out += "# TYPE anchorage_configuration_last_reload_success gauge\n"
        out += "anchorage_configuration_last_reload_success \(reload.succeeded ? 1 : 0)\n"
        out += "# HELP anchorage_configuration_reloads_total Reload attempts by result.\n"
        out += "# TYPE anchorage_configuration_reloads_total counter\n"
        for result in snapshot.reloads.keys.sorted() {
            out +=
                "anchorage_configuration_reloads_total\(Self.labels(["result": result])) \(snapshot.reloads[result]!)\n"
        }

        var expiryLines = ""
        var crlLines = ""
        for anchor in configuration.trustAnchors.values.sorted(by: { $0.name < $1.name }) {
            for certificate in anchor.certificates {
                let days = Double(certificate.notAfter - now) / 86400
                let labels = Self.labels([
                    "trust_anchor": anchor.name, "trust_anchor_arn": anchor.arn.description,
                    "subject": certificate.subjectString,
                ])
                expiryLines += "anchorage_trust_anchor_certificate_expiry_days\(labels) \(Self.number(days))\n"
            }
            for list in anchor.revocationLists {
                guard let nextUpdate = list.nextUpdate else { continue }
                let labels = Self.labels(["trust_anchor": anchor.name, "issuer": list.issuerString])
                crlLines += "anchorage_crl_next_update_age_seconds\(labels) \(now - nextUpdate)\n"
            }
        }
        out += "# HELP anchorage_trust_anchor_certificate_expiry_days Days until each anchor certificate expires.\n"
        out += "# TYPE anchorage_trust_anchor_certificate_expiry_days gauge\n"
        out += expiryLines
        out +=
            "# HELP anchorage_crl_next_update_age_seconds Seconds since each CRL's nextUpdate (negative: not yet due).\n"
        out += "# TYPE anchorage_crl_next_update_age_seconds gauge\n"
        out += crlLines

        if let audit {
            out += "# HELP anchorage_audit_records_total Audit records written.\n"
            out += "# TYPE anchorage_audit_records_total counter\n"
            out += "anchorage_audit_records_total \(audit.records)\n"
            out +=
                "# HELP anchorage_audit_flushes_total Audit log flushes (fdatasync); one covers every record written before it.\n"
            out += "# TYPE anchorage_audit_flushes_total counter\n"
            out += "anchorage_audit_flushes_total \(audit.flushes)\n"
        }

        if let connections {
            out += "# HELP anchorage_http_connections Open client connections.\n"
            out += "# TYPE anchorage_http_connections gauge\n"
            out += "anchorage_http_connections \(connections)\n"
        }
        return out
    }

    static func labels(_ pairs: [String: String]) -> String {
        "{" + pairs.keys.sorted().map { "\($0)=\"\(escape(pairs[$0]!))\"" }.joined(separator: ",") + "}"
    }

    static func escape(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
