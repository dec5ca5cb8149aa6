import AnchorageTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Replicas sharing their state through Redis (`serve --shared-state`, Replicas.md): a real `redis-server`,
/// three `anchorage serve` replicas each with its own copy of the configuration, and `haproxy` in TCP mode
/// (TLS passes through to the replicas). Budget: about a minute for the whole suite.
@Suite("replicas sharing state through Redis", .serialized)
struct ReplicasTests {
    static let certificateBurst = 5

    /// `count` replicas on `redis`, each on a fresh copy of the configuration.
    static func replicas(_ count: Int, redis: RedisServer, _ extra: [String]) async throws -> [SharedServer.Context] {
        var contexts: [SharedServer.Context] = []
        for _ in 0..<count {
            contexts.append(
                try await OwnServer.start(
                    extraArguments: ["--shared-state", redis.url, "--replay-protection", "on"] + extra))
        }
        return contexts
    }

    /// Runs replica_client.py.
    static func client(
        _ mode: String, _ endpoints: [String], leaf: String, _ extra: [String] = [], pki: FixturePKI
    ) async throws -> JSONValue {
        var arguments = [mode]
        for endpoint in endpoints { arguments += ["--endpoint", endpoint] }
        arguments += [
            "--ca-bundle", pki.caBundle.path, "--certificate", pki.certificate(leaf).path,
            "--private-key", pki.privateKey(leaf).path, "--profile-arn", ARNs.webProfile, "--role-arn",
            ARNs.webReader, "--trust-anchor-arn", ARNs.rsaRootAnchor,
        ]
        let result = try await Clients.python("replica_client.py", arguments + extra, caBundle: pki.caBundle)
        guard result.status == 0, let line = result.stdout.split(separator: "\n").last,
            let json = try? JSONValue.parse(String(line))
        else { throw TestFailure("replica_client.py failed: \(result.summary)") }
        return json
    }

    /// Waits (at most 10 s) until `redis`, just restarted, has loaded its data: until then it accepts connections
    /// but answers `LOADING`, which a replica rightly treats as Redis being unavailable (503 in closed mode).
    static func loaded(_ redis: RedisServer) async throws {
        var last = ""
        let pong = try await poll(for: 10) { () -> Bool? in
            // redis-cli comes with Debian's redis-server (redis-tools), which Tests/run-all installs.
            let ping = try await runProcess("/usr/bin/env", ["redis-cli", "-p", String(redis.port), "PING"])
            last = ping.summary
            return ping.stdout.hasPrefix("PONG") ? true : nil
        }
        guard pong == true else { throw TestFailure("redis-server did not answer PING with PONG within 10 s: \(last)") }
    }

    /// The audit reason of `requestId` in whichever replica's log holds it.
    static func reason(_ requestId: String?, in contexts: [SharedServer.Context]) throws -> String?? {
        for context in contexts {
            if let entry = try context.server.auditEntry(requestId: requestId ?? "") {
                return .some(entry["reason"]?.string)
            }
        }
        return .none
    }

    @Test(
        "replay across replicas, one certificate bucket for all, revocation (the certificate and its STS sessions) reaching B and C within 1 s and surviving restarts"
    )
    func sharedDecisions() async throws {
        let redis = try RedisServer()
        let contexts = try await Self.replicas(
            3, redis: redis, ["--rate-limit-per-certificate", "0.01/\(Self.certificateBurst)"])
        let (a, b, c) = (contexts[0], contexts[1], contexts[2])
        let pki = a.pki
        defer { for context in contexts { Task { _ = await context.server.stop() } } }

        // Replay: the same signed bytes to A, then to B.
        let replay = try await Self.client(
            "same", [a.server.endpoint, b.server.endpoint], leaf: "leaf-ec-p256", pki: pki)
        let replayResponses = try #require(replay["responses"]?.array)
        #expect(replayResponses.map { $0["status"]?.number } == [201, 429], "\(replay)")
        #expect(try Self.reason(replayResponses[1]["requestId"]?.string, in: [b]) == .some("replayed_request"))

        // Rate limit: 3 × burst fresh requests round robin over A, B, C: burst issued in total, not 3 × burst.
        let burst = try await Self.client(
            "fresh", contexts.map(\.server.endpoint), leaf: "leaf-rsa-2048",
            ["--count", String(3 * Self.certificateBurst)],
            pki: pki)
        let burstResponses = try #require(burst["responses"]?.array)
        let issued = burstResponses.filter { $0["status"]?.number == 201 }
        #expect(issued.count == Self.certificateBurst, "\(burst)")
        for response in burstResponses where response["status"]?.number != 201 {
            #expect(response["status"]?.number == 429)
            #expect(try Self.reason(response["requestId"]?.string, in: contexts) == .some("throttled_certificate"))
        }
        // Every replica issued some: the bucket really is shared, not one replica answering everything.
        #expect(Set(issued.compactMap { $0["endpoint"]?.string }).count >= 2, "\(burst)")

        // Revocation through A's configuration, published to the shared state: B and C refuse within 1 s.
        let serial = try pki.serialHex("leaf-ec-p384")
        let before = try await Self.client(
            "fresh", [b.server.endpoint, c.server.endpoint], leaf: "leaf-ec-p384", ["--count", "2"], pki: pki)
        #expect(before["responses"]?.array?.map { $0["status"]?.number } == [201, 201], "\(before)")
        // A session of that certificate, issued by B, verifies at B's STS before the revocation.
        let session = try await STSClients.credentials(leaf: "leaf-ec-p384", b)
        let verified = try await STSClients.script("boto3", session, b)
        #expect(verified["ok"]?.bool == true, "\(verified)")
        let revoke = try await runProcess(
            try AnchorageBinary.url().path,
            [
                "revoke", "--pki", a.configuration.pki.path, "--profiles", a.configuration.profiles.path, "--serial",
                serial,
                "--shared-state", redis.url, "--reason", "replicas test",
            ])
        let revokedAt = Date().timeIntervalSince1970
        #expect(revoke.status == 0, "\(revoke.summary)")
        #expect(revoke.stdout.contains("published"), "\(revoke.summary)")
        let refused = try await Self.client(
            "until-refused", [b.server.endpoint, c.server.endpoint], leaf: "leaf-ec-p384",
            ["--since", String(revokedAt), "--settle", "1.0", "--max-seconds", "20"], pki: pki)
        let refusals = try #require(refused["responses"]?.array)
        for endpoint in [b.server.endpoint, c.server.endpoint] {
            // Every request sent 1 s or more after the revocation was refused, and there was one.
            let late = refusals.filter { $0["endpoint"]?.string == endpoint && ($0["sentAfter"]?.number ?? 0) >= 1.0 }
            #expect(!late.isEmpty, "\(endpoint) was not asked after 1 s: \(refused)")
            #expect(late.allSatisfy { $0["status"]?.number == 403 }, "\(endpoint) issued after 1 s: \(late)")
        }
        // Its session too, in STS, at a replica whose files never had the revocation.
        let afterRevocation = try await STSClients.script("boto3", session, b)
        #expect(afterRevocation["code"]?.string == "InvalidClientTokenId", "\(afterRevocation)")
        let lastRefusal = try #require(refused["responses"]?.array?.last)
        #expect(
            try Self.reason(lastRefusal["requestId"]?.string, in: [b, c])
                == .some("certificate_revoked_by_administrator"))
        // B's audit log records the revocation coming into force.
        #expect(try b.server.auditEntries().contains { $0["operation"]?.string == "Revoke" }, "no Revoke line on B")

        // It survives a restart of Redis (append-only file) and of a replica whose files never had it.
        redis.stop()
        try redis.start()
        // This part is about what persists, not about a replica meeting Redis while it loads.
        try await Self.loaded(redis)
        #expect(await c.server.stop() == 0)
        let restarted = try await OwnServer.start(
            configuration: c.configuration,
            extraArguments: [
                "--shared-state", redis.url, "--replay-protection", "on", "--rate-limit-per-certificate", "0.01/5",
            ])
        defer { Task { _ = await restarted.server.stop() } }
        let afterRestart = try await Self.client(
            "until-refused", [restarted.server.endpoint], leaf: "leaf-ec-p384", ["--max-seconds", "10"], pki: pki)
        #expect(afterRestart["refusedAfter"]?[restarted.server.endpoint]?.number != nil, "\(afterRestart)")
        #expect(
            afterRestart["responses"]?.array?.allSatisfy { $0["status"]?.number == 403 } == true,
            "the restarted replica issued for the revoked certificate before it knew: \(afterRestart)")
    }

    @Test(
        "subjects: a CreateSession at replica A is listed by ListSubjects (the AWS CLI, an admin role) at replica B within 2 s"
    )
    func subjectsAcrossReplicas() async throws {
        let redis = try RedisServer()
        let pki = try FixturePKI.shared()
        var contexts: [SharedServer.Context] = []
        for _ in 0..<2 {
            let configuration = try await TestConfiguration.write(pki: pki)
            try RolesAnywhereAPIEndToEndTests.writeAdmin(configuration)
            contexts.append(
                try await OwnServer.start(configuration: configuration, extraArguments: ["--shared-state", redis.url]))
        }
        let (a, b) = (contexts[0], contexts[1])
        defer { for context in contexts { Task { _ = await context.server.stop() } } }
        // The admin's session at B (its own certificate becomes B's first subject).
        let session = try await Clients.pythonSession(
            leaf: "leaf-ec-p256", profileArn: RolesAnywhereAPIEndToEndTests.adminProfile,
            roleArn: RolesAnywhereAPIEndToEndTests.adminRole, b)
        guard let id = session["accessKeyId"]?.string, let secret = session["secretAccessKey"]?.string,
            let token = session["sessionToken"]?.string
        else { throw TestFailure("no admin session: \(session)") }
        let environment = STSClients.awsEnvironment(
            SessionCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: token), b, region: "us-east-1")
        func aws(_ arguments: [String]) async throws -> JSONValue {
            let result = try await runProcess(
                "/usr/bin/env",
                ["aws", "rolesanywhere"] + arguments + [
                    "--endpoint-url", STSClients.endpointURL(b), "--output", "json",
                ], environment: environment, timeout: 60)
            guard result.status == 0, let json = try? JSONValue.parse(result.stdout) else {
                throw TestFailure("aws rolesanywhere \(arguments[0]) failed: \(result.summary)")
            }
            return json
        }
        let before = try #require(try await aws(["list-subjects"])["subjects"]?.array)
        #expect(before.count == 1, "B has seen only the admin: \(before)")

        // A workload's CreateSession at A.
        let workload = try await Clients.pythonSession(leaf: "leaf-rsa-2048", a)
        #expect(workload["ok"]?.bool == true, "\(workload)")
        let issuedAt = Date()
        // Every listing started 2 s or more after A answered shows it (a listing's request leaves a little after
        // its start: the CLI starts up first, which only makes the bound more lenient); at most 20 s of polling.
        var late: [Int] = []
        while Date().timeIntervalSince(issuedAt) < 20 {
            let started = Date().timeIntervalSince(issuedAt)
            let count = try #require(try await aws(["list-subjects"])["subjects"]?.array).count
            if started >= 2 {
                late.append(count)
                if late.count == 2 { break }
            }
        }
        #expect(late == [2, 2], "listings at B started 2 s or more after the CreateSession at A: \(late)")
        let subjects = try #require(try await aws(["list-subjects"])["subjects"]?.array)
        let known = Set(before.compactMap { $0["subjectId"]?.string })
        let shared = try #require(subjects.first { !known.contains($0["subjectId"]?.string ?? "") })
        let detail = try await aws(["get-subject", "--subject-id", try #require(shared["subjectId"]?.string)])
        #expect(
            detail["subject"]?["credentials"]?.array?.map { $0["serialNumber"]?.string?.lowercased() }
                == [try pki.serialHex("leaf-rsa-2048")], "\(detail)")
    }

    @Test(
        "Redis (over TLS) stops: closed answers 503 within the deadline and is not ready, open keeps issuing; both recover"
    )
    func redisFailure() async throws {
        // Over TLS (rediss://), verified against the fixture CA.
        let fixtures = try FixturePKI.shared()
        let redis = try RedisServer(
            tls: RedisServer.TLSFiles(
                certificate: fixtures.certificate("server").path, key: fixtures.privateKey("server").path,
                ca: fixtures.caBundle.path))
        let tls = ["--shared-state-ca-file", fixtures.caBundle.path]
        let closed = try await OwnServer.start(
            extraArguments: [
                "--shared-state", redis.url, "--shared-state-timeout", "0.3", "--replay-protection", "on",
            ] + tls)
        defer { Task { _ = await closed.server.stop() } }
        let open = try await OwnServer.start(
            extraArguments: [
                "--shared-state", redis.url, "--shared-state-failure", "open", "--shared-state-timeout", "0.3",
                "--replay-protection", "on",
            ] + tls)
        defer { Task { _ = await open.server.stop() } }
        let pki = closed.pki
        func ready(_ context: SharedServer.Context) async throws -> Int? {
            try await Clients.probe("request", ["--path", "/readyz"], context)["status"]?.number.map(Int.init)
        }
        let working = try await Self.client(
            "fresh", [closed.server.endpoint, open.server.endpoint], leaf: "leaf-ec-p256", ["--count", "2"], pki: pki)
        #expect(working["responses"]?.array?.map { $0["status"]?.number } == [201, 201], "\(working)")
        #expect(try await ready(closed) == 200)

        redis.stop()
        let down = try await Self.client(
            "fresh", [closed.server.endpoint, open.server.endpoint], leaf: "leaf-ec-p256", ["--count", "4"], pki: pki)
        let downResponses = try #require(down["responses"]?.array)
        for response in downResponses where response["endpoint"]?.string == closed.server.endpoint {
            #expect(response["status"]?.number == 503, "\(down)")
            #expect(response["errorType"]?.string?.hasPrefix("ServiceUnavailableException") == true)
            // The deadline is 0.3 s; a refused connection fails sooner. Generous for a loaded machine.
            #expect((response["seconds"]?.number ?? 99) < 1.5, "\(response)")
            #expect(try Self.reason(response["requestId"]?.string, in: [closed]) == .some("shared_state_unavailable"))
        }
        for response in downResponses where response["endpoint"]?.string == open.server.endpoint {
            #expect(response["status"]?.number == 201, "open mode issues from its own state: \(down)")
        }
        let notReady = try await poll(for: 5, every: 0.1) { try await ready(closed) == 503 ? true : nil }
        #expect(notReady == true, "/readyz stays ready with Redis down")
        #expect(try await ready(open) == 200)
        let warnings = open.server.logLines(level: "warning", containing: "--shared-state-failure open")
        #expect(warnings.count == 1, "one warning a minute at most: \(warnings)")

        try redis.start()
        let recovered = try await poll(for: 10, every: 0.2) { () -> Bool? in
            let answer = try await Self.client("fresh", [closed.server.endpoint], leaf: "leaf-ec-p256", pki: pki)
            return answer["responses"]?.array?.first?["status"]?.number == 201 ? true : nil
        }
        #expect(recovered == true, "the closed replica did not resume after Redis came back")
        #expect(try await ready(closed) == 200)
    }

    @Test(
        "kill -9 of a replica under load through HAProxy: clients keep getting credentials, nothing answered is unaudited"
    )
    func replicaDiesUnderLoad() async throws {
        let haproxy = "/usr/sbin/haproxy"
        guard FileManager.default.isExecutableFile(atPath: haproxy) else {
            throw TestFailure("haproxy is not installed; `apt-get install haproxy` (Tests/run-all does)")
        }
        let redis = try RedisServer()
        // No per-certificate limit: every client here uses the same few certificates, and this test is about a dying
        // replica, not about the shared bucket (the first test covers that). Replay protection stays on.
        let contexts = try await Self.replicas(3, redis: redis, ["--rate-limit-per-certificate", "0"])
        defer { for context in contexts { Task { _ = await context.server.stop() } } }
        let pki = contexts[0].pki
        let work = TemporaryDirectory()
        let port = try RedisServer.freePort()
        let servers = contexts.enumerated().map { index, context in
            "    server r\(index) \(context.server.endpoint) check inter 200ms fall 1 rise 2\n"
        }.joined()
        try work.write(
            "haproxy.cfg",
            """
            global
                maxconn 512
            defaults
                mode tcp
                timeout connect 1s
                timeout client 30s
                timeout server 30s
                retries 2
                option redispatch
            frontend anchorage
                bind 127.0.0.1:\(port)
                default_backend replicas
            backend replicas
                balance roundrobin
            \(servers)
            """)
        let proxy = Process()
        proxy.executableURL = URL(fileURLWithPath: haproxy)
        proxy.arguments = ["-f", work.url("haproxy.cfg"), "-db"]
        proxy.standardOutput = FileHandle.nullDevice
        proxy.standardError = FileHandle.nullDevice
        try runWithDefaultSignalMask(proxy)
        ServerRegistry.shared.register(proxy)
        defer {
            proxy.terminate()
            ServerRegistry.shared.unregister(proxy)
        }
        let endpoint = "127.0.0.1:\(port)"
        let listening = try await poll(for: 10, every: 0.05) { RedisServer.accepts(port: port) ? true : nil }
        #expect(listening == true, "haproxy did not listen")

        let out = work.url("answers.jsonl")
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        let load = Process()
        load.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        load.arguments = [
            "python3", try Clients.scriptsDirectory().appendingPathComponent("crash_client.py").path,
            "--endpoint", endpoint, "--ca-bundle", pki.caBundle.path,
            "--certificate", pki.certificate("leaf-ec-p256").path, "--private-key", pki.privateKey("leaf-ec-p256").path,
            "--threads", "6", "--seconds", "5", "--retries", "20", "--out", out,
        ]
        load.environment = Clients.environment(caBundle: pki.caBundle)
        load.standardOutput = FileHandle.nullDevice
        load.standardError = FileHandle.nullDevice
        try load.run()
        func answered() throws -> [JSONValue] {
            try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map {
                try JSONValue.parse(String($0))
            }
        }
        _ = try await poll(for: 10, every: 0.05) { try answered().count >= 20 ? true : nil }
        let victim = contexts[1]
        kill(victim.server.process.processIdentifier, SIGKILL)
        victim.server.process.waitUntilExit()
        let killedAt = try answered().count
        // The helper, with its retries, through the proxy while one replica is dead.
        let helper = try HelperBinary.path()
        let identity = try HelperInputs.identities()[0]
        for _ in 0..<3 {
            let result = try await runProcess(
                helper,
                ["credential-process"] + identity.flags + [
                    "--trust-anchor-arn", ARNs.rsaRootAnchor, "--profile-arn", ARNs.webProfile, "--role-arn",
                    ARNs.webReader, "--endpoint", "https://\(endpoint)", "--ca-bundle", pki.caBundle.path,
                ])
            #expect(result.status == 0, "\(result.summary)")
        }
        // The published Python client (iam-rolesanywhere-session), through the proxy as well. Each run asks for
        // another duration, so that each is another request: the library signs with no nonce, an RSA PKCS#1 v1.5
        // signature is deterministic and X-Amz-Date counts whole seconds, so two runs within one second with the
        // same parameters send the same signed bytes — a replay, which replay protection (on, shared through
        // Redis) rightly refuses with 429 `replayed_request` whichever replica the second one reaches.
        for duration in [3600, 3599] {
            let session = try await Clients.python(
                "ra_session_client.py",
                [
                    "--endpoint", endpoint, "--ca-bundle", pki.caBundle.path, "--certificate",
                    pki.certificate("leaf-rsa-2048").path, "--private-key", pki.privateKey("leaf-rsa-2048").path,
                    "--profile-arn", ARNs.webProfile, "--role-arn", ARNs.webReader, "--trust-anchor-arn",
                    ARNs.rsaRootAnchor, "--session-duration", String(duration),
                ], caBundle: pki.caBundle)
            let line = session.stdout.split(separator: "\n").last.map(String.init) ?? ""
            #expect((try? JSONValue.parse(line))?["ok"]?.bool == true, "\(session.summary)")
        }
        while load.isRunning { try await Task.sleep(nanoseconds: 20_000_000) }

        let answers = try answered()
        let issued = answers.filter { $0["accessKeyId"] != nil }
        #expect(
            answers.count == issued.count,
            "answers other than 201: \(answers.filter { $0["accessKeyId"] == nil }.prefix(5))")
        #expect(issued.count > killedAt + 20, "credentials stopped after the kill: \(killedAt) then \(issued.count)")
        // Every answered request is in the audit log of the replica that answered it.
        var audited: Set<String> = []
        for context in contexts {
            for entry in try context.server.auditEntries() where entry["outcome"]?.string == "allowed" {
                if let id = entry["requestId"]?.string { audited.insert(id) }
            }
        }
        let missing = issued.compactMap { $0["requestId"]?.string }.filter { !audited.contains($0) }
        #expect(
            missing.isEmpty, "\(missing.count) answered requests missing from every audit log: \(missing.prefix(5))")
    }
}
