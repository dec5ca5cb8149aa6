import AnchorageTestSupport
import Foundation

/// `GET /metrics`, fetched and parsed strictly by `Tests/Scripts/metrics_probe.py` (see its docstring).
struct MetricsSnapshot: Sendable {
    struct Sample: Sendable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    var families: [String: (type: String, samples: [Sample])]
    var text: String

    /// Every sample called `name` whose labels include `labels`.
    func samples(_ name: String, _ labels: [String: String] = [:]) -> [Sample] {
        families.values.flatMap(\.samples).filter { sample in
            sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value }
        }
    }

    /// The one sample `name` with exactly `labels` (0 when absent: a counter not yet incremented).
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double {
        samples(name, labels).first { $0.labels == labels }?.value ?? 0
    }

    /// Fetches and parses; throws with the parser's errors when the exposition is not strict Prometheus text.
    static func fetch(_ context: SharedServer.Context) async throws -> MetricsSnapshot {
        // The metrics listener speaks plain HTTP whatever the API listener does.
        let args = ["--endpoint", context.server.metricsEndpoint, "--insecure-http"]
        let result = try await Clients.python("metrics_probe.py", args, caBundle: context.pki.caBundle)
        guard result.status == 0, let line = result.stdout.split(separator: "\n").last,
            let out = try? JSONValue.parse(String(line))
        else { throw TestFailure("metrics_probe.py failed: \(result.summary)") }
        guard out["ok"]?.bool == true else {
            throw TestFailure(
                "GET /metrics is not strict Prometheus text: \(out["errors"] ?? .null)\n\(out["text"]?.string ?? "")")
        }
        guard out["contentType"]?.string?.hasPrefix("text/plain; version=0.0.4") == true else {
            throw TestFailure("GET /metrics Content-Type \(out["contentType"] ?? .null)")
        }
        var families: [String: (type: String, samples: [Sample])] = [:]
        for (name, family) in out["families"]?.object ?? [:] {
            let samples = (family["samples"]?.array ?? []).map { sample in
                var labels: [String: String] = [:]
                for (k, v) in sample["labels"]?.object ?? [:] { labels[k] = v.string ?? "" }
                let value =
                    sample["value"]?.number
                    ?? (sample["value"]?.string == "+Inf"
                        ? .infinity : sample["value"]?.string == "-Inf" ? -.infinity : .nan)
                return Sample(name: sample["name"]?.string ?? "", labels: labels, value: value)
            }
            families[name] = (family["type"]?.string ?? "", samples)
        }
        return MetricsSnapshot(families: families, text: out["text"]?.string ?? "")
    }
}

extension AnchorageServerProcess {
    /// Structured log lines at `level` whose message contains `message`.
    func logLines(level: String, containing message: String) -> [JSONValue] {
        logLines().filter { $0["level"]?.string == level && $0["message"]?.string?.contains(message) == true }
    }
}

/// `anchorage <arguments>` with the configuration's `--pki` and `--profiles`.
func anchorageCommand(_ arguments: [String], configuration: TestConfiguration? = nil) async throws -> ProcessResult {
    var args = arguments
    if let configuration { args += ["--pki", configuration.pki.path, "--profiles", configuration.profiles.path] }
    return try await runProcess(try AnchorageBinary.url().path, args, timeout: 30)
}
