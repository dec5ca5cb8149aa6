import AnchorageBasics
import AnchorageHTTP
import Foundation
import Synchronization

/// The answer to one request, kept when the caller checks responses.
struct Answer: Sendable {
    var status: Int
    var errorType: String?
    var requestId: String?
    var body: [UInt8]
}

struct LoadResult {
    var requests: Int
    var seconds: Double
    var statuses: [Int: Int]
    var transportErrors: Int
    /// Sorted, in nanoseconds.
    var latencies: [UInt64]
    var serverCPUSeconds: Double
    var clientCPUSeconds: Double
    var answers: [Answer?]
    var firstError: String?
    /// Audit records written per flush during the run (the group commit's batch size), when the server
    /// reports its audit counters and flushed at all.
    var recordsPerFlush: Double?

    var rate: Double { Double(requests) / seconds }
    /// The `p` latency percentile in milliseconds (0 when nothing was measured).
    func percentile(_ p: Double) -> Double { nearestRank(latencies, p).map { Double($0) / 1e6 } ?? 0 }
    /// Server CPU seconds per 1,000 requests.
    var serverCPUPerThousand: Double { serverCPUSeconds / Double(requests) * 1000 }

    /// Runs of the same scenario taken at different times, as one result: counts, times and CPU add up,
    /// latencies merge, and records per flush is averaged by the requests of each part.
    static func combined(_ parts: [LoadResult]) -> LoadResult {
        var statuses: [Int: Int] = [:]
        for part in parts { statuses.merge(part.statuses, uniquingKeysWith: +) }
        let flushed = parts.filter { $0.recordsPerFlush != nil }
        let flushedRequests = flushed.reduce(0) { $0 + $1.requests }
        return LoadResult(
            requests: parts.reduce(0) { $0 + $1.requests }, seconds: parts.reduce(0) { $0 + $1.seconds },
            statuses: statuses, transportErrors: parts.reduce(0) { $0 + $1.transportErrors },
            latencies: parts.flatMap(\.latencies).sorted(),
            serverCPUSeconds: parts.reduce(0) { $0 + $1.serverCPUSeconds },
            clientCPUSeconds: parts.reduce(0) { $0 + $1.clientCPUSeconds }, answers: parts.flatMap(\.answers),
            firstError: parts.lazy.compactMap(\.firstError).first,
            recordsPerFlush: flushedRequests == 0
                ? nil
                : flushed.reduce(0) { $0 + $1.recordsPerFlush! * Double($1.requests) } / Double(flushedRequests))
    }
}

/// The nearest-rank `p` percentile (0…1) of ascending `sorted`: the smallest value with at least that share
/// of the values at or below it; nil when empty.
func nearestRank<Value>(_ sorted: [Value], _ p: Double) -> Value? {
    guard !sorted.isEmpty else { return nil }
    let index = min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)
    return sorted[max(0, index)]
}

/// A process whose CPU time a load run charges its requests with.
protocol CPUAccounted {
    /// User + system CPU seconds used so far.
    var cpuSeconds: Double { get }
    /// Audit records written and flushes made so far, when the process reports them.
    func auditCounters() -> AuditCounters?
}

extension CPUAccounted {
    func auditCounters() -> AuditCounters? { nil }
}

/// `anchorage_audit_records_total` and `anchorage_audit_flushes_total`.
struct AuditCounters {
    var records: Double
    var flushes: Double
}

private final class Shared: Sendable {
    let next = Atomic<Int>(0)
    let ready = Atomic<Int>(0)
    let go = Atomic<Bool>(false)
}

private final class WorkerOutput: @unchecked Sendable {
    var latencies: [UInt64] = []
    var statuses: [Int: Int] = [:]
    var errors = 0
    var firstError: String?
}

/// Sends pre-signed requests from `concurrency` threads, each with its own connection (kept alive,
/// or a new TLS connection per request), as fast as answers come or paced to `rate` requests/s.
enum LoadDriver {
    static func run(
        _ requests: [[UInt8]], port: Int, concurrency: Int, newConnectionPerRequest: Bool = false,
        rate: Double? = nil, keepAnswers: Bool = false, server: any CPUAccounted,
        tls: TLSClientConfiguration = TLSClientConfiguration(verifyPeer: false)
    ) -> LoadResult {
        let shared = Shared()
        let outputs = (0..<concurrency).map { _ in WorkerOutput() }
        let answers = ResultSlots<Answer>(keepAnswers ? requests.count : 0)
        let group = DispatchGroup()
        let startBox = ResultSlots<UInt64>(1)
        for worker in 0..<concurrency {
            group.enter()
            let output = outputs[worker]
            let thread = Thread {
                defer { group.leave() }
                var connection: HTTPClientConnection?
                if !newConnectionPerRequest {
                    do {
                        connection = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: tls)
                    } catch {
                        output.firstError = "\(error)"
                    }
                }
                output.latencies.reserveCapacity(requests.count / concurrency + 1)
                shared.ready.add(1, ordering: .releasing)
                while !shared.go.load(ordering: .acquiring) { sched_yield() }
                let start = startBox[0] ?? MonotonicTime.nanoseconds
                while true {
                    let index = shared.next.add(1, ordering: .relaxed).oldValue
                    if index >= requests.count { break }
                    var began = MonotonicTime.nanoseconds
                    if let rate {
                        let scheduled = start + UInt64(Double(index) / rate * 1e9)
                        if scheduled > began {
                            var pause = timespec(
                                tv_sec: Int((scheduled - began) / 1_000_000_000),
                                tv_nsec: Int((scheduled - began) % 1_000_000_000))
                            nanosleep(&pause, nil)
                        }
                        // Latency counts from the scheduled instant: a late send is the server's queueing delay.
                        began = scheduled
                    }
                    do {
                        if connection == nil {
                            connection = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: tls)
                        }
                        try connection!.sendRaw(requests[index])
                        let response = try connection!.readResponse()
                        output.latencies.append(MonotonicTime.nanoseconds - began)
                        output.statuses[response.status, default: 0] += 1
                        if keepAnswers {
                            answers[index] = Answer(
                                status: response.status, errorType: response.headers["X-Amzn-ErrorType"],
                                requestId: response.headers["x-amzn-RequestId"], body: response.body)
                        }
                        if newConnectionPerRequest || response.headers["Connection"]?.lowercased() == "close" {
                            connection?.close()
                            connection = nil
                        }
                    } catch {
                        output.errors += 1
                        if output.firstError == nil { output.firstError = "\(error)" }
                        connection?.close()
                        connection = nil
                    }
                }
                connection?.close()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        while shared.ready.load(ordering: .acquiring) < concurrency { usleep(1000) }
        let auditBefore = server.auditCounters()
        let cpuBefore = server.cpuSeconds
        let clientBefore = ownCPUSeconds()
        let started = MonotonicTime.nanoseconds
        startBox[0] = started
        shared.go.store(true, ordering: .releasing)
        group.wait()
        let elapsed = Double(MonotonicTime.nanoseconds - started) / 1e9
        let cpuAfter = server.cpuSeconds
        let clientAfter = ownCPUSeconds()
        var recordsPerFlush: Double?
        if let before = auditBefore, let after = server.auditCounters(), after.flushes > before.flushes {
            recordsPerFlush = (after.records - before.records) / (after.flushes - before.flushes)
        }

        var statuses: [Int: Int] = [:]
        var latencies: [UInt64] = []
        var errors = 0
        var firstError: String?
        for output in outputs {
            latencies += output.latencies
            errors += output.errors
            firstError = firstError ?? output.firstError
            for (status, count) in output.statuses { statuses[status, default: 0] += count }
        }
        latencies.sort()
        return LoadResult(
            requests: requests.count, seconds: elapsed, statuses: statuses, transportErrors: errors,
            latencies: latencies, serverCPUSeconds: cpuAfter - cpuBefore, clientCPUSeconds: clientAfter - clientBefore,
            answers: answers.values, firstError: firstError, recordsPerFlush: recordsPerFlush)
    }
}
