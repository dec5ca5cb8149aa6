import AnchorageCrypto
import Foundation

OpenSSLLifetime.skipCleanupAtExit()

// AnchorageBenchmark: CreateSession throughput against the OpenSSL verification bound, in one run.
// See Sources/AnchorageBenchmark/AnchorageBenchmark.docc/Benchmark.md.

let usage = """
    usage: AnchorageBenchmark [--requests N] [--fresh N] [--new-connections N]
                               [--no-scale] [--soak SECONDS] [--bound-seconds S] [--binary PATH]
                               [--audit-sync data|none] [--soak-rate R] [--soak-only]
                           [--nginx PATH | --no-nginx] [--redis PATH | --no-redis] [--shared-state-only]
                           [--helper-runs N] [--helper PATH]... [--helper-only]

      --requests N         distinct requests per keep-alive measurement (default 20000)
      --fresh N            requests in the certificates-never-seen-before case, one new leaf each (default 8000)
      --new-connections N  requests sent each on a new TLS connection (default 4000)
      --no-scale           skip the 1,000 anchors / 5,000 profiles / 10,000 roles case
      --soak SECONDS       also run 64 connections for SECONDS, paced, with allowed and denied requests, and
                           report errors, resident memory and open file descriptors every 10 s
      --soak-rate R        the soak's target requests/s (default: 70% of the peak keep-alive rate of the run)
      --soak-only          skip the full run's rows and the scale case: warm up, measure the peak (allowed
                           requests, c=64 keep-alive) unless --soak-rate is given, then soak
      --bound-seconds S    seconds per verification-bound measurement (default 2)
      --binary PATH        the `anchorage` executable (default: next to this executable)
      --audit-sync MODE    the server's audit durability: data (its default: records on disk before answers) or
                           none (page cache only) — none measures the decision path without the disk
      --nginx PATH         nginx for the mutual-TLS handshake reference (default: /usr/sbin/nginx or PATH)
      --no-nginx           skip that reference
      --redis PATH         redis-server for the --shared-state row (default: /usr/bin/redis-server or PATH)
      --no-redis           skip the --shared-state row
      --shared-state-only  only the --shared-state rows against the embedded state (c=16 and c=64)
      --helper-runs N      timed `anchorage-helper credential-process` runs (default 30, at least 15)
      --helper PATH        an anchorage-helper to time (repeatable: run in turn; default: next to `anchorage`)
      --helper-only        start the server, time the helpers (and the C floor), and stop there
    """

struct Options {
    var requests = 20_000
    var fresh = 8_000
    var newConnections = 4_000
    var scale = true
    var soakSeconds = 0.0
    var soakRate: Double?
    var soakOnly = false
    var boundSeconds = 2.0
    var binary: String?
    var auditSync = "data"
    /// Measure nginx's mutual-TLS handshake next to the new-connection row (when nginx is installed).
    var nginx = true
    var nginxBinary: String?
    /// Measure `serve --shared-state` against one local Redis (when redis-server is installed).
    var redis = true
    var redisBinary: String?
    var sharedStateOnly = false
    /// Timed `anchorage-helper credential-process` runs.
    var helperRuns = 30
    /// `anchorage-helper` binaries to time, in turn; empty: the one next to `anchorage`.
    var helpers: [String] = []
    /// Only the helpers' start-up.
    var helperOnly = false
}

func parseOptions(_ arguments: [String]) throws -> Options {
    var options = Options()
    var iterator = arguments.makeIterator()
    func value(_ name: String) throws -> String {
        guard let value = iterator.next() else { throw BenchmarkError("\(name) needs a value\n\n\(usage)") }
        return value
    }
    func number(_ name: String) throws -> Int {
        guard let n = Int(try value(name)), n > 0 else { throw BenchmarkError("\(name) needs a positive integer") }
        return n
    }
    while let argument = iterator.next() {
        switch argument {
        case "--requests": options.requests = try number(argument)
        case "--fresh": options.fresh = try number(argument)
        case "--new-connections": options.newConnections = try number(argument)
        case "--no-scale": options.scale = false
        case "--soak": options.soakSeconds = Double(try number(argument))
        case "--soak-rate":
            guard let r = Double(try value(argument)), r > 0 else {
                throw BenchmarkError("--soak-rate needs requests/s")
            }
            options.soakRate = r
        case "--soak-only": options.soakOnly = true
        case "--bound-seconds":
            guard let s = Double(try value(argument)), s > 0 else {
                throw BenchmarkError("--bound-seconds needs seconds")
            }
            options.boundSeconds = s
        case "--binary": options.binary = try value(argument)
        case "--nginx": options.nginxBinary = try value(argument)
        case "--no-nginx": options.nginx = false
        case "--redis": options.redisBinary = try value(argument)
        case "--no-redis": options.redis = false
        case "--shared-state-only": options.sharedStateOnly = true
        case "--helper-runs":
            options.helperRuns = try number(argument)
            guard options.helperRuns >= 15 else { throw BenchmarkError("--helper-runs needs at least 15 runs") }
        case "--helper": options.helpers.append(try value(argument))
        case "--helper-only": options.helperOnly = true
        case "--audit-sync":
            let mode = try value(argument)
            guard mode == "data" || mode == "none" else { throw BenchmarkError("--audit-sync must be data or none") }
            options.auditSync = mode
        case "--help", "-h":
            print(usage)
            exit(0)
        default: throw BenchmarkError("unknown argument \(argument)\n\n\(usage)")
        }
    }
    if options.soakOnly, options.soakSeconds <= 0 { throw BenchmarkError("--soak-only needs --soak SECONDS") }
    if options.soakOnly, options.helperOnly { throw BenchmarkError("--soak-only and --helper-only exclude each other") }
    return options
}

/// `anchorage` next to this executable (`.build/release/anchorage` for `.build/release/AnchorageBenchmark`).
func locateServerBinary(_ explicit: String?) throws -> String {
    if let explicit { return explicit }
    let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    let candidate = URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("anchorage").path
    guard FileManager.default.isExecutableFile(atPath: candidate) else {
        throw BenchmarkError(
            "\(candidate) not found: build it first (`swift build -c release`) or pass --binary PATH")
    }
    return candidate
}

signal(SIGPIPE, SIG_IGN)
do {
    let options = try parseOptions(Array(CommandLine.arguments.dropFirst()))
    let binary = try locateServerBinary(options.binary)
    let benchmark = try Benchmark(options: options, binary: binary)
    defer { benchmark.cleanUp() }
    try benchmark.runFull()
} catch {
    FileHandle.standardError.write(Data("AnchorageBenchmark: \(error)\n".utf8))
    exit(1)
}
