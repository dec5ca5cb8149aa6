import AnchorageBasics
import AnchorageConfig
import AnchorageCrypto
import AnchorageHTTP
import Foundation

/// The scenarios of one benchmark run and their report.
final class Benchmark {
    let options: Options
    let binary: String
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let work: URL
    let pki: BenchmarkPKI
    let tlsCertificate: URL
    let tlsKey: URL
    /// The P-256 leaf and its key as PEM files (the helper's identity, nginx's client certificate), and the
    /// root that issued it and the server certificate (the helper's CA bundle, nginx's client CA).
    let leafCertificate: URL
    let leafKey: URL
    let rootCertificate: URL
    private var servers: [ServerProcess] = []

    init(options: Options, binary: String) throws {
        self.options = options
        self.binary = binary
        work = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
            "anchorage-benchmark-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        pki = try BenchmarkPKI()
        tlsCertificate = work.appendingPathComponent("server.pem")
        tlsKey = work.appendingPathComponent("server-key.pem")
        leafCertificate = work.appendingPathComponent("leaf.pem")
        leafKey = work.appendingPathComponent("leaf-key.pem")
        rootCertificate = work.appendingPathComponent("root.pem")
        try pki.server.pemString.write(to: tlsCertificate, atomically: false, encoding: .utf8)
        try Self.writeKey(pki.serverKey, to: tlsKey)
        try pki.leafEC.certificate.pemString.write(to: leafCertificate, atomically: false, encoding: .utf8)
        try Self.writeKey(pki.leafEC.key, to: leafKey)
        try pki.root.pemString.write(to: rootCertificate, atomically: false, encoding: .utf8)
    }

    /// `key` as PKCS#8 PEM in a file only its owner may read.
    private static func writeKey(_ key: PrivateKey, to file: URL) throws {
        _ = FileManager.default.createFile(
            atPath: file.path, contents: Data(try key.pkcs8PEM), attributes: [.posixPermissions: 0o600])
    }

    func cleanUp() {
        for server in servers { server.stop() }
        try? FileManager.default.removeItem(at: work)
    }

    /// `anchorage serve` on `configuration`, with `--audit-sync` from the options unless `auditSync` is given.
    func startServer(
        _ configuration: BenchmarkConfiguration, auditSync: String? = nil, extraArguments: [String] = []
    ) throws -> ServerProcess {
        let server = try ServerProcess.start(
            binary: binary, configuration: configuration, tlsCertificate: tlsCertificate, tlsKey: tlsKey, work: work,
            auditSync: auditSync ?? options.auditSync, extraArguments: extraArguments)
        servers.append(server)
        return server
    }

    func smallConfiguration() throws -> BenchmarkConfiguration {
        try BenchmarkConfiguration.write(
            pki: pki, anchors: 10, profiles: 10, roles: 10, into: work.appendingPathComponent("config-small"),
            threads: cores)
    }

    // MARK: - Full run

    func runFull() throws {
        if options.soakOnly { return try runSoakOnly() }
        if options.helperOnly { return try runHelperOnly() }
        if options.sharedStateOnly {
            let configuration = try smallConfiguration()
            emit("AnchorageBenchmark --shared-state-only: \(cores) cores, server \(binary)")
            Report.header()
            return try sharedStateRows(configuration, factory: RequestFactory(host: "127.0.0.1:8443"))
        }
        emit("AnchorageBenchmark: \(cores) cores, server \(binary)")
        emit(
            "client: \(options.requests) distinct pre-signed requests per keep-alive row, Swift threads with one connection each"
        )
        emit("")

        let boundP256 = try VerificationBound.measure(.ecP256, threads: cores, seconds: options.boundSeconds)
        let boundRSA = try VerificationBound.measure(.rsa(bits: 2048), threads: cores, seconds: options.boundSeconds)
        emit(
            "OpenSSL verification bound (\(cores) threads, PublicKey.verifySHA256Signature; measured again after each row for its ratio):"
        )
        emit(
            String(
                format: "  ECDSA P-256  %9.0f verifies/s  (%.1f µs per verify per core)", boundP256,
                1e6 * Double(cores) / boundP256))
        emit(
            String(
                format: "  RSA-2048     %9.0f verifies/s  (%.1f µs per verify per core)", boundRSA,
                1e6 * Double(cores) / boundRSA))
        emit("")

        let configuration = try smallConfiguration()
        let server = try startServer(configuration)
        let factory = RequestFactory(host: "127.0.0.1:\(server.port)")
        emit(
            String(
                format:
                    "server pid %d on 127.0.0.1:%d (10 anchors, 10 profiles, 10 roles; started in %.2f s), RSS %.1f MiB",
                server.pid, server.port, server.startSeconds, server.memoryMiB("VmRSS")))
        emit("")
        Report.header()

        // Warm-up: connection setup, first-time parses, allocator growth.
        _ = LoadDriver.run(
            factory.make(1000, identities: [pki.leafEC], target: configuration.target, threads: cores),
            port: server.port, concurrency: 4, server: server)

        var peak = 0.0
        var c64P256: (result: LoadResult, bound: Double)?
        for concurrency in [1, 4, 16, 64] {
            let requests = factory.make(
                options.requests, identities: [pki.leafEC], target: configuration.target, threads: cores)
            let result = LoadDriver.run(requests, port: server.port, concurrency: concurrency, server: server)
            let bound = try boundAfterRow(.ecP256)
            Report.row("P-256, seen, keep-alive c=\(concurrency)", result, bound: bound, server: server)
            peak = max(peak, result.rate)
            if concurrency == 64 { c64P256 = (result, bound) }
        }

        // Paced over as many connections as the peak row: each connection's client thread sends one request at a
        // time, so at 16 connections and ~2 ms answers (the audit flush) a thread would need most of its time to
        // keep its share of the pace, and the queue would build up in the client rather than the server.
        let half = peak / 2
        try pacedRow(
            String(format: "P-256 paced at half peak (%.0f/s) c=64", half), configuration, factory: factory,
            server: server, rate: half)
        if options.auditSync != "none" { try pacedWithoutFlush(configuration, rate: half) }
        // The same pace with next to no server work: what the load generator and the shared cores alone do to the tail.
        let pacedFloor = try transportFloor(
            configuration, factory: factory, server: server, count: Self.pacedRequestCount(half), rate: half)
        emit(
            String(
                format:
                    "  the same pace answered 404 (no decision, no audit record): p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms; %.0f µs server CPU per request",
                pacedFloor.percentile(0.5), pacedFloor.percentile(0.99), pacedFloor.percentile(0.999),
                pacedFloor.serverCPUPerThousand * 1000))

        _ = LoadDriver.run(
            factory.make(200, identities: [pki.leafRSA], target: configuration.target, threads: cores),
            port: server.port, concurrency: 4, server: server)
        let rsa = LoadDriver.run(
            factory.make(options.requests, identities: [pki.leafRSA], target: configuration.target, threads: cores),
            port: server.port, concurrency: 16, server: server)
        let rsaBound = try boundAfterRow(.rsa(bits: 2048))
        Report.row("RSA-2048, seen, keep-alive c=16", rsa, bound: rsaBound, server: server)

        _ = LoadDriver.run(
            factory.make(200, identities: [pki.leafViaIntermediate], target: configuration.target, threads: cores),
            port: server.port, concurrency: 4, server: server)
        let (unchained, chained) = try alternatingRows(
            (
                "P-256, c=16, alternating with the next row",
                Side(factory: factory, identity: pki.leafEC, target: configuration.target, server: server)
            ),
            (
                "P-256 + intermediate, c=16, alternating",
                Side(factory: factory, identity: pki.leafViaIntermediate, target: configuration.target, server: server)
            ))

        try sharedStateRows(configuration, factory: factory)

        let freshLeaves = try pki.freshLeaves(options.fresh, threads: cores)
        let fresh = LoadDriver.run(
            factory.make(options.fresh, identities: freshLeaves, target: configuration.target, threads: cores),
            port: server.port, concurrency: 16, server: server)
        Report.row(
            "P-256, never seen (new leaf each), c=16", fresh, bound: try boundAfterRow(.ecP256), server: server)

        let newConnections = LoadDriver.run(
            factory.make(
                options.newConnections, identities: [pki.leafEC], target: configuration.target, threads: cores),
            port: server.port, concurrency: 8, newConnectionPerRequest: true, server: server)
        Report.row(
            "P-256, new TLS connection per request, c=8", newConnections, bound: try boundAfterRow(.ecP256),
            server: server)
        emit("")
        emit(
            String(
                format: "peak RSS (VmHWM) of the server after all rows, 64 connections included: %.1f MiB",
                server.memoryMiB("VmHWM")))
        emit(
            String(
                format:
                    "intermediate vs none at c=16 (alternating slices): %.1f%% of the requests/s, %.1f%% of the server CPU per request",
                100 * chained.rate / unchained.rate, 100 * chained.serverCPUPerThousand / unchained.serverCPUPerThousand
            ))
        if let c64P256 {
            // The issue's reading of the ratio: everything but the one verify should cost no more than the verify.
            let p256Verify = 1e6 * Double(cores) / c64P256.bound
            let rsaVerify = 1e6 * Double(cores) / rsaBound
            let p256CPU = c64P256.result.serverCPUPerThousand * 1000
            let rsaCPU = rsa.serverCPUPerThousand * 1000
            emit(
                String(
                    format:
                        "one verify ÷ server CPU per request: P-256 c=64 %.1f of %.0f µs = %.2f; RSA-2048 c=16 %.1f of %.0f µs = %.2f",
                    p256Verify, p256CPU, p256Verify / p256CPU, rsaVerify, rsaCPU, rsaVerify / rsaCPU))
        }
        if let c64P256 {
            // Where the c=64 server CPU goes: the decision alone, the transport alone, and what is left.
            let decision = try inProcessDecision(configuration, factory: factory, count: min(options.requests, 5000))
            let floor = try transportFloor(configuration, factory: factory, server: server, count: options.requests)
            let serverCPU = c64P256.result.serverCPUPerThousand * 1000
            let decisionCPU = decision.cpuPerRequest * 1e6
            let floorCPU = floor.serverCPUPerThousand * 1000
            let beyond = serverCPU - decisionCPU - floorCPU
            emit(
                String(
                    format:
                        "this build's decision path in-process (AnchorageService.handle, 1 thread, no socket or flush, %d requests): %.0f µs CPU per request",
                    decision.requests, decisionCPU))
            emit(
                String(
                    format:
                        "transport floor (the same request bytes to a path with no route, answered 404; keep-alive c=64, %.0f/s): %.0f µs server CPU per request",
                    floor.rate, floorCPU))
            emit(
                String(
                    format:
                        "the server at c=64 spent %.0f µs per CreateSession: decision %.0f + transport %.0f, and %.0f µs (%.0f%%) beyond both (held answers and the flush, two loops sharing the cores with the client; the three are measured minutes apart, so on a shared machine this remainder carries their drift)",
                    serverCPU, decisionCPU, floorCPU, beyond, 100 * beyond / serverCPU))
            // The ratio's arithmetic: with the load generator on the same cores, requests/s ÷ bound = r needs
            // (server + client CPU per request) ≤ (cores ÷ bound) ÷ r.
            let clientCPU = c64P256.result.clientCPUSeconds / Double(c64P256.result.requests) * 1e6
            let budget = 1e6 * Double(cores) / c64P256.bound / 0.5
            emit(
                String(
                    format:
                        "ratio 0.50 on these %d cores: server + client CPU per request ≤ %.0f µs (two verifies); the client spent %.0f µs per request at c=64, which leaves the server %.0f µs (it spent %.0f, in-process decision alone %.0f)",
                    cores, budget, clientCPU, budget - clientCPU, serverCPU, decisionCPU))
        }
        emit(
            String(
                format: "new TLS connection per request: %.0f µs server CPU per request (handshake + request)",
                newConnections.serverCPUPerThousand * 1000))
        let handshake = try handshakeAlone(handshakes: 2000)
        emit(
            String(
                format:
                    "OpenSSL's server side of one full handshake alone (in memory, no sockets or request, this server's TLS settings, %@ %@, %d handshakes): %.0f µs CPU",
                handshake.protocolVersion, handshake.cipher, handshake.handshakes,
                handshake.serverSecondsPerHandshake * 1e6))
        let connectionFloor = try transportFloor(
            configuration, factory: factory, server: server, count: max(500, options.newConnections / 2),
            newConnectionPerRequest: true)
        emit(
            String(
                format:
                    "new TLS connection answered 404 (no decision, no audit record; c=8, %d connections): %.0f µs server CPU per connection",
                connectionFloor.requests, connectionFloor.serverCPUPerThousand * 1000))
        try timeHelpers(port: server.port, target: configuration.target)
        if let nginx = try nginxHandshakes() {
            emit(
                String(
                    format:
                        "nginx, mutual TLS, new connection per request (c=8, %d requests, %.0f/s): %.0f µs nginx CPU per handshake; anchorage spends %.2f× that per CreateSession on a new connection; half of it (the target) is %.0f µs, against OpenSSL's handshake alone %.0f and a new connection answered 404 %.0f",
                    nginx.requests, nginx.rate, nginx.serverCPUPerThousand * 1000,
                    newConnections.serverCPUPerThousand / nginx.serverCPUPerThousand,
                    nginx.serverCPUPerThousand * 500, handshake.serverSecondsPerHandshake * 1e6,
                    connectionFloor.serverCPUPerThousand * 1000))
        }

        if options.soakSeconds > 0 {
            try soak(server: server, factory: factory, target: configuration.target, peak: peak)
        }
        if options.scale { try scale(alongside: server, reference: configuration, referenceFactory: factory) }
        server.stop()
    }

    /// Replicas' shared state (`serve --shared-state`, one local Redis) against the embedded state, both with
    /// replay protection and both rate limits on (limits too high to refuse anything, so every bucket is
    /// still updated): two more servers, alternating slices at c=16 and at c=64, then the Redis commands and
    /// Redis CPU per CreateSession from `INFO commandstats` and /proc.
    func sharedStateRows(_ configuration: BenchmarkConfiguration, factory: RequestFactory) throws {
        guard options.redis, let binary = RedisProcess.locate(options.redisBinary) else {
            emit("redis-server not found (or --no-redis): the --shared-state row was not measured")
            return
        }
        let redis = try RedisProcess.start(binary: binary, work: work)
        defer { redis.stop() }
        let admission = [
            "--replay-protection", "on", "--rate-limit-per-certificate", "1000000/1000000",
            "--rate-limit-per-source", "1000000/1000000",
        ]
        let embedded = try startServer(configuration, extraArguments: admission)
        let shared = try startServer(configuration, extraArguments: admission + ["--shared-state", redis.url])
        defer {
            embedded.stop()
            shared.stop()
        }
        for server in [embedded, shared] {
            _ = LoadDriver.run(
                factory.make(1000, identities: [pki.leafEC], target: configuration.target, threads: cores),
                port: server.port, concurrency: 4, server: server)
        }
        for concurrency in [16, 64] {
            let commandsBefore = try RedisCommandCount.read(port: redis.port)
            let redisCPUBefore = redis.cpuSeconds
            let (embeddedResult, sharedResult) = try alternatingRows(
                (
                    "P-256, c=\(concurrency), embedded state (replay, limits)",
                    Side(
                        factory: factory, identity: pki.leafEC, target: configuration.target, server: embedded,
                        concurrency: concurrency)
                ),
                (
                    "P-256, c=\(concurrency), --shared-state (local Redis)",
                    Side(
                        factory: factory, identity: pki.leafEC, target: configuration.target, server: shared,
                        concurrency: concurrency)
                ))
            let redisCPU = redis.cpuSeconds - redisCPUBefore
            let commandsAfter = try RedisCommandCount.read(port: redis.port)
            let requests = Double(sharedResult.requests)
            emit(
                String(
                    format:
                        "--shared-state vs embedded at c=%d (alternating slices): %.1f%% of the requests/s (target >= 80%%); p50 %.2f vs %.2f ms, p99 %.2f vs %.2f ms; per CreateSession: %.3f EVALSHA sent (one round trip), %.3f commands run by Redis (the script's TIME, GET and SET per bucket, EXISTS, SET, and the revocation poll's 4 GET/s included), %.0f µs Redis CPU",
                    concurrency, 100 * sharedResult.rate / embeddedResult.rate, sharedResult.percentile(0.5),
                    embeddedResult.percentile(0.5), sharedResult.percentile(0.99), embeddedResult.percentile(0.99),
                    Double(commandsAfter.evalsha - commandsBefore.evalsha) / requests,
                    Double(commandsAfter.total - commandsBefore.total - 1) / requests, redisCPU / requests * 1e6))
        }
    }

    /// The paced half-peak row again, against a second server whose answers do not wait for the audit flush
    /// (`--audit-sync none`): the difference in latency is what durability costs at that pace.
    private func pacedWithoutFlush(_ configuration: BenchmarkConfiguration, rate: Double) throws {
        let unflushed = try startServer(configuration, auditSync: "none")
        defer { unflushed.stop() }
        let factory = RequestFactory(host: "127.0.0.1:\(unflushed.port)")
        _ = LoadDriver.run(
            factory.make(1000, identities: [pki.leafEC], target: configuration.target, threads: cores),
            port: unflushed.port, concurrency: 4, server: unflushed)
        try pacedRow(
            String(format: "  same pace, --audit-sync none (%.0f/s)", rate), configuration, factory: factory,
            server: unflushed, rate: rate)
    }

    /// Requests for five seconds at `rate`, at least 2,000: every paced row sends this many.
    private static func pacedRequestCount(_ rate: Double) -> Int { max(2000, Int(rate * 5)) }

    /// ``pacedRequestCount(_:)`` P-256 requests paced at `rate` over 64 connections, reported as `name`.
    private func pacedRow(
        _ name: String, _ configuration: BenchmarkConfiguration, factory: RequestFactory, server: ServerProcess,
        rate: Double
    ) throws {
        let paced = LoadDriver.run(
            factory.make(
                Self.pacedRequestCount(rate), identities: [pki.leafEC], target: configuration.target, threads: cores),
            port: server.port, concurrency: 64, rate: rate, server: server)
        Report.row(name, paced, bound: try boundAfterRow(.ecP256), server: server)
    }

    /// ``TLSHandshakeCost`` with the certificate and key the server is given.
    func handshakeAlone(handshakes: Int) throws -> TLSHandshakeCost.Result {
        let context = try TLSServerContext(certificateChainFile: tlsCertificate.path, privateKeyFile: tlsKey.path)
        return try TLSHandshakeCost.measure(context: context, handshakes: handshakes)
    }

    /// `count` CreateSession-sized requests to a path with no route (``RequestFactory/unrouted(_:)``), keep-alive
    /// c=64 (as fast as answers come, or paced to `rate`) or each on a new TLS connection at c=8; every one must be
    /// answered 404. They are refused before any decision, so a few signed ones repeat.
    func transportFloor(
        _ configuration: BenchmarkConfiguration, factory: RequestFactory, server: ServerProcess, count: Int,
        newConnectionPerRequest: Bool = false, rate: Double? = nil
    ) throws -> LoadResult {
        let distinct = factory.make(
            min(count, 256), identities: [pki.leafEC], target: configuration.target, threads: cores
        ).map(RequestFactory.unrouted)
        let requests = (0..<count).map { distinct[$0 % distinct.count] }
        let result = LoadDriver.run(
            requests, port: server.port, concurrency: newConnectionPerRequest ? 8 : 64,
            newConnectionPerRequest: newConnectionPerRequest, rate: rate, server: server)
        guard result.statuses == [404: requests.count], result.transportErrors == 0 else {
            throw BenchmarkError(
                "transport floor: expected \(requests.count) answers 404, got \(result.statuses) and \(result.transportErrors) transport errors"
            )
        }
        return result
    }

    /// ``InProcessDecision`` over `count` fresh P-256 requests; every one must be issued credentials.
    func inProcessDecision(
        _ configuration: BenchmarkConfiguration, factory: RequestFactory, count: Int
    ) throws -> InProcessDecision.Result {
        let result = try InProcessDecision.measure(
            configuration: configuration,
            requests: factory.make(count, identities: [pki.leafEC], target: configuration.target, threads: cores),
            work: work)
        guard result.issued == result.requests else {
            throw BenchmarkError("in-process: \(result.issued) of \(result.requests) requests were issued credentials")
        }
        return result
    }

    /// Two keep-alive c=16 scenarios run in four alternating slices (each `--requests / 4`, at least 500 requests), each side
    /// combined: a comparison of two rows is a difference, and on a shared machine rows a minute apart can
    /// differ by more than the 10% being measured.
    private func alternating(_ first: Side, _ second: Side) -> (LoadResult, LoadResult) {
        let slices = 4
        let perSlice = max(500, options.requests / slices)
        func run(_ side: Side) -> LoadResult {
            LoadDriver.run(
                side.factory.make(perSlice, identities: [side.identity], target: side.target, threads: cores),
                port: side.server.port, concurrency: side.concurrency, server: side.server)
        }
        var firsts: [LoadResult] = []
        var seconds: [LoadResult] = []
        for _ in 0..<slices {
            firsts.append(run(first))
            seconds.append(run(second))
        }
        return (LoadResult.combined(firsts), LoadResult.combined(seconds))
    }

    /// ``alternating(_:_:)``, then a row for each side under one verification bound measured right after both.
    private func alternatingRows(
        _ first: (name: String, side: Side), _ second: (name: String, side: Side)
    ) throws -> (LoadResult, LoadResult) {
        let results = alternating(first.side, second.side)
        let bound = try boundAfterRow(.ecP256)
        Report.row(first.name, results.0, bound: bound, server: first.side.server)
        Report.row(second.name, results.1, bound: bound, server: second.side.server)
        return results
    }

    /// One side of ``alternating(_:_:)``: keep-alive requests at c=`concurrency` (16 unless given) signed by
    /// `identity`, sent to `server`.
    private struct Side {
        var factory: RequestFactory
        var identity: Identity
        var target: Target
        var server: ServerProcess
        var concurrency = 16
    }

    /// The verification bound measured right after a row, for that row's ratio: on a shared machine the
    /// bound drifts by tens of percent within one run, and the ratio should compare like with like.
    private func boundAfterRow(_ algorithm: PrivateKey.Algorithm) throws -> Double {
        try VerificationBound.measure(algorithm, threads: cores, seconds: min(1, options.boundSeconds))
    }

    /// The reference for the new-connection row: nginx with the same server certificate, requiring and
    /// verifying a client certificate (the P-256 leaf), answering `GET /` with a fixed 200, one new TLS
    /// connection per request from the same client code; nil when nginx is not installed or `--no-nginx`.
    private func nginxHandshakes() throws -> LoadResult? {
        guard options.nginx, let binary = NginxProcess.locate(options.nginxBinary) else {
            emit("nginx not found (or --no-nginx): the mutual-TLS handshake reference was not measured")
            return nil
        }
        let nginx = try NginxProcess.start(
            binary: binary, workers: cores, certificate: tlsCertificate, key: tlsKey, clientCA: rootCertificate,
            work: work)
        defer { nginx.stop() }
        let request = Array("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        let tls = TLSClientConfiguration(
            verifyPeer: false, certificateFile: leafCertificate.path, privateKeyFile: leafKey.path)
        let result = LoadDriver.run(
            Array(repeating: request, count: options.newConnections), port: nginx.port, concurrency: 8,
            newConnectionPerRequest: true, server: nginx, tls: tls)
        guard result.statuses[200] == result.requests else {
            throw BenchmarkError(
                "nginx answered \(result.statuses) with \(result.transportErrors) transport errors: \(result.firstError ?? "")"
            )
        }
        return result
    }

    /// `--soak-only`: the small configuration, a warm-up, the peak (c=64 keep-alive) unless `--soak-rate`, the soak.
    /// The helpers' start-up (``HelperTiming``): the `--helper` binaries, else the one next to `anchorage`.
    func timeHelpers(port: Int, target: Target) throws {
        let helpers =
            options.helpers.isEmpty ? HelperTiming.locate(serverBinary: binary).map { [$0] } ?? [] : options.helpers
        guard !helpers.isEmpty else {
            emit("anchorage-helper not found next to \(binary): credential-process was not timed")
            return
        }
        let timing = try HelperTiming.measure(
            helpers: helpers, runs: options.helperRuns, port: port, certificate: leafCertificate, key: leafKey,
            caBundle: rootCertificate, target: target)
        for line in HelperTiming.report(timing) { emit(line) }
    }

    /// `--helper-only`: the server on the small configuration, then only the helpers' start-up.
    func runHelperOnly() throws {
        let configuration = try smallConfiguration()
        let server = try startServer(configuration)
        emit(
            String(
                format: "AnchorageBenchmark --helper-only: %d cores, server pid %d on 127.0.0.1:%d, --audit-sync %@",
                cores, server.pid, server.port, options.auditSync as NSString))
        try timeHelpers(port: server.port, target: configuration.target)
        server.stop()
    }

    func runSoakOnly() throws {
        let configuration = try smallConfiguration()
        let server = try startServer(configuration)
        let factory = RequestFactory(host: "127.0.0.1:\(server.port)")
        emit(
            String(
                format: "AnchorageBenchmark --soak-only: %d cores, server pid %d on 127.0.0.1:%d, --audit-sync %@",
                cores, server.pid, server.port, options.auditSync as NSString))
        _ = LoadDriver.run(
            factory.make(1000, identities: [pki.leafEC], target: configuration.target, threads: cores),
            port: server.port, concurrency: 4, server: server)
        var peak = 0.0
        if options.soakRate == nil {
            Report.header()
            let result = LoadDriver.run(
                factory.make(options.requests, identities: [pki.leafEC], target: configuration.target, threads: cores),
                port: server.port, concurrency: 64, server: server)
            let bound = try VerificationBound.measure(.ecP256, threads: cores, seconds: options.boundSeconds)
            Report.row("P-256, seen, keep-alive c=64", result, bound: bound, server: server)
            peak = result.rate
        }
        try soak(server: server, factory: factory, target: configuration.target, peak: peak)
        server.stop()
    }

    /// `soakSeconds` at `--soak-rate` (default 70% of `peak`) over 64 connections, in 10 s batches of
    /// pre-signed requests (the next batch is signed while one runs; each batch opens new connections).
    /// Request `k` of the soak: every 7th a tampered signature (403 "Invalid signature", signature_mismatch),
    /// else every 5th signed by a leaf with `OU=other`, which the roles' trust policy refuses (403 "Access
    /// denied", trust_policy_not_allowed), else allowed (201). Anything else, or a transport error, is an
    /// unexpected error. The server's VmRSS and open descriptors are sampled after every batch.
    private func soak(server: ServerProcess, factory: RequestFactory, target: Target, peak: Double) throws {
        enum Kind { case allowed, policy, signature }
        @Sendable func kind(_ k: Int) -> Kind { k % 7 == 6 ? .signature : (k % 5 == 4 ? .policy : .allowed) }
        let rate = options.soakRate ?? 0.7 * peak
        guard rate > 0 else { throw BenchmarkError("--soak needs --soak-rate or a measured peak") }
        let otherOU = try BenchmarkPKI.leaf(
            "bench-other-ou", key: .ecP256, issuer: pki.root, issuerKey: pki.rootKey, now: pki.now,
            organizationalUnit: "other")
        let batchSeconds = 10.0
        let perBatch = max(1, Int(rate * batchSeconds))
        let (leafEC, cores) = (pki.leafEC, cores)
        @Sendable func batch(_ number: Int) -> [[UInt8]] {
            let kinds = (0..<perBatch).map { kind(number * perBatch + $0) }
            let signedAt = Int64(Date().timeIntervalSince1970)
            var allowed = factory.make(
                kinds.filter { $0 == .allowed }.count, identities: [leafEC], target: target, threads: 1,
                signedAt: signedAt
            ).makeIterator()
            var policy = factory.make(
                kinds.filter { $0 == .policy }.count, identities: [otherOU], target: target, threads: 1,
                signedAt: signedAt
            ).makeIterator()
            var signature = factory.make(
                kinds.filter { $0 == .signature }.count, identities: [leafEC], target: target, threads: 1,
                tamper: true, signedAt: signedAt
            ).makeIterator()
            return kinds.map {
                switch $0 {
                case .allowed: allowed.next()!
                case .policy: policy.next()!
                case .signature: signature.next()!
                }
            }
        }
        func fdCount() -> Int {
            (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(server.pid)/fd").count) ?? -1
        }
        emit("")
        emit(
            String(
                format:
                    "soak: %d s at %.0f requests/s%@ over 64 connections (10 s batches, new connections per batch), --audit-sync %@",
                Int(options.soakSeconds), rate,
                (options.soakRate == nil ? String(format: " (70%% of the peak %.0f/s)", peak) : " (--soak-rate)")
                    as NSString, options.auditSync as NSString))
        emit("  every 7th request a tampered signature (403), else every 5th a leaf with OU=other (403), else allowed")
        emit(
            "     t s   requests   req/s   201s    403 sig  403 policy  unexpected  p99 ms   RSS MiB   HWM MiB   fds  (cores \(cores))"
        )
        struct Sample { var t: Double, rss: Double, fds: Int }
        var samples = [Sample(t: 0, rss: server.memoryMiB("VmRSS"), fds: fdCount())]
        var totals = (requests: 0, allowed: 0, policy: 0, signature: 0, unexpected: 0)
        var firstUnexpected: String?
        let next = ResultSlots<[[UInt8]]>(1)
        next[0] = batch(0)
        let started = MonotonicTime.seconds
        var number = 0
        while MonotonicTime.seconds - started < options.soakSeconds {
            let requests = next[0]!
            let signer = DispatchGroup()
            let following = number + 1
            DispatchQueue.global().async(group: signer) { next[0] = batch(following) }
            let result = LoadDriver.run(
                requests, port: server.port, concurrency: 64, rate: rate, keepAnswers: true, server: server)
            signer.wait()
            var counts = (allowed: 0, policy: 0, signature: 0, unexpected: result.transportErrors)
            if result.transportErrors > 0, firstUnexpected == nil {
                firstUnexpected = "transport: \(result.firstError ?? "")"
            }
            for (index, answer) in result.answers.enumerated() {
                guard let answer else { continue }  // a transport error, counted above
                let text = String(decoding: answer.body, as: UTF8.self)
                switch kind(number * perBatch + index) {
                case .allowed where answer.status == 201: counts.allowed += 1
                case .policy where answer.status == 403 && text.contains("Access denied"): counts.policy += 1
                case .signature where answer.status == 403 && text.contains("Invalid signature"):
                    counts.signature += 1
                default:
                    counts.unexpected += 1
                    if firstUnexpected == nil {
                        firstUnexpected = "request \(number * perBatch + index): \(answer.status) \(text.prefix(200))"
                    }
                }
            }
            totals.requests += result.requests
            totals.allowed += counts.allowed
            totals.policy += counts.policy
            totals.signature += counts.signature
            totals.unexpected += counts.unexpected
            let sample = Sample(t: MonotonicTime.seconds - started, rss: server.memoryMiB("VmRSS"), fds: fdCount())
            samples.append(sample)
            emit(
                String(
                    format: "  %6.0f %10d %7.0f %6d %10d %11d %11d %7.2f %9.1f %9.1f %5d", sample.t, result.requests,
                    result.rate, counts.allowed, counts.signature, counts.policy, counts.unexpected,
                    result.percentile(0.99), sample.rss, server.memoryMiB("VmHWM"), sample.fds))
            number += 1
        }
        let elapsed = MonotonicTime.seconds - started
        emit("")
        emit(
            String(
                format:
                    "soak verdict: %d requests in %.0f s (%.0f/s): %d allowed (201), %d denied (%d signature_mismatch, %d trust policy), %d unexpected",
                totals.requests, elapsed, Double(totals.requests) / elapsed, totals.allowed,
                totals.policy + totals.signature, totals.signature, totals.policy, totals.unexpected))
        if let firstUnexpected { emit("  first unexpected: \(firstUnexpected)") }
        let audit = server.stateDirectory.appendingPathComponent("audit.jsonl").path
        func grepCount(_ pattern: String) -> String {
            let grep = Process()
            grep.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            grep.arguments = ["grep", "-c", "-F", pattern, audit]
            let pipe = Pipe()
            grep.standardOutput = pipe
            guard (try? grep.run()) != nil else { return "?" }
            let out = pipe.fileHandleForReading.readDataToEndOfFile()
            grep.waitUntilExit()
            return String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        emit(
            "  audit.jsonl (whole run, warm-up and peak included): records \(grepCount("\"requestId\"")), trust_policy_not_allowed \(grepCount("\"trust_policy_not_allowed\"")), signature_mismatch \(grepCount("\"signature_mismatch\""))"
        )
        let afterWarmUp = samples.dropFirst().filter { $0.t >= 60 }
        if let first = afterWarmUp.first, let last = afterWarmUp.last {
            let maxRSS = afterWarmUp.map(\.rss).max()!
            let minRSS = afterWarmUp.map(\.rss).min()!
            let flat = maxRSS <= first.rss * 1.05 && minRSS >= first.rss * 0.95
            emit(
                String(
                    format:
                        "  RSS after warm-up (first sample at t>=60 s, t=%.0f): first %.1f MiB, min %.1f, max %.1f (%+.1f%%), last %.1f (%+.1f%%): %@",
                    first.t, first.rss, minRSS, maxRSS, 100 * (maxRSS / first.rss - 1), last.rss,
                    100 * (last.rss / first.rss - 1), (flat ? "flat (within 5%)" : "NOT within 5%") as NSString))
            emit(
                "  open fds: before load \(samples[0].fds), first after warm-up \(first.fds), max \(afterWarmUp.map(\.fds).max()!), last \(last.fds): \(last.fds <= first.fds ? "no growth" : "GREW")"
            )
        } else {
            emit("  (shorter than the 60 s warm-up: no RSS/fd verdict)")
        }
    }

    /// 1,000 anchors, 5,000 profiles, 10,000 roles: load time and per-request cost against ten of each.
    /// A second server on 1,000 anchors, 5,000 profiles and 10,000 roles, compared with `small` (ten of each)
    /// in ``alternating(_:_:)`` slices.
    private func scale(
        alongside small: ServerProcess, reference: BenchmarkConfiguration, referenceFactory: RequestFactory
    ) throws {
        emit("")
        let written = MonotonicTime.seconds
        let configuration = try BenchmarkConfiguration.write(
            pki: pki, anchors: 1000, profiles: 5000, roles: 10_000, into: work.appendingPathComponent("config-scale"),
            threads: cores)
        emit(
            String(
                format: "configuration scale: 1,000 anchors, 5,000 profiles, 10,000 roles (written in %.1f s)",
                MonotonicTime.seconds - written))
        // The 16,000 files just written are still dirty in the page cache: flushed now, they are not paid for by
        // the audit log's first fdatasyncs (the journal commit takes them along) during the measurement.
        sync()
        let validate = try ChildProcess.run(
            binary, ["validate", "--pki", configuration.pki.path, "--profiles", configuration.profiles.path])
        let server = try startServer(configuration)
        emit(
            String(
                format:
                    "  `anchorage validate`: %.2f s (exit %d); `anchorage serve` start to listening: %.2f s; RSS %.1f MiB",
                validate.seconds, validate.exitStatus, server.startSeconds, server.memoryMiB("VmRSS")))
        // What the idle server costs with 16,000 files to watch (the poll under inotify looks at them all):
        // a background tax on every request, which a per-request comparison alone would hide.
        let idleStart = (cpu: server.cpuSeconds, time: MonotonicTime.seconds)
        Thread.sleep(forTimeInterval: 5)
        emit(
            String(
                format: "  idle server CPU (the file check under inotify): %.1f%% of one core",
                100 * (server.cpuSeconds - idleStart.cpu) / (MonotonicTime.seconds - idleStart.time)))
        let factory = RequestFactory(host: "127.0.0.1:\(server.port)")
        _ = LoadDriver.run(
            factory.make(1000, identities: [pki.leafEC], target: configuration.target, threads: cores),
            port: server.port, concurrency: 4, server: server)
        Report.header()
        let (tenOfEachResult, atScaleResult) = try alternatingRows(
            (
                "P-256, c=16, ten of each, alternating",
                Side(factory: referenceFactory, identity: pki.leafEC, target: reference.target, server: small)
            ),
            (
                "P-256, c=16, scale config, alternating",
                Side(factory: factory, identity: pki.leafEC, target: configuration.target, server: server)
            ))
        emit(
            String(
                format: "  per-request server CPU vs ten of each (alternating slices): %.1f%%",
                100 * atScaleResult.serverCPUPerThousand / tenOfEachResult.serverCPUPerThousand))
        server.stop()
    }
}

enum Report {
    static func header() {
        emit(
            "scenario                                      requests    req/s   p50 ms   p99 ms p99.9 ms  srv CPU s/1k  cli CPU s/1k  HWM MiB   bound/s  ÷bound  non-201  rec/flush"
        )
    }

    static func row(_ name: String, _ r: LoadResult, bound: Double, server: ServerProcess) {
        let non201 = r.requests - (r.statuses[201] ?? 0)
        let line = String(
            format: "%@ %8d %8.0f %8.2f %8.2f %8.2f %13.3f %13.3f %8.1f %9.0f %7.3f %8d %@",
            name.padding(toLength: 44, withPad: " ", startingAt: 0) as NSString, r.requests, r.rate, r.percentile(0.5),
            r.percentile(0.99), r.percentile(0.999), r.serverCPUPerThousand,
            r.clientCPUSeconds / Double(r.requests) * 1000,
            server.memoryMiB("VmHWM"), bound, r.rate / bound, non201,
            (r.recordsPerFlush.map { String(format: "%10.1f", $0) } ?? "         -") as NSString)
        emit(line)
        if non201 > 0 {
            emit(
                "    statuses \(r.statuses.sorted { $0.key < $1.key }), transport errors \(r.transportErrors): \(r.firstError ?? "")"
            )
        }
    }
}
