import AnchorageTestSupport
import Foundation
import Testing

/// Rate limits and replay protection against a running server (TLSAndLimits.md, "Rate limits and replay protection").
/// Each test starts its own server with its own flags (the shared harness runs with generous limits and
/// replay protection off).
@Suite("rate limits and replay protection end to end")
struct LimitsTests {
    static func statuses(_ response: RawResponse) -> [Int] {
        response.responses.compactMap { $0["status"]?.number.map(Int.init) }
    }

    static func reasons(_ response: RawResponse, _ server: AnchorageServerProcess) throws -> [String?] {
        try response.responses.map { entry in
            let id = try #require(entry["requestId"]?.string)
            return try server.auditEntry(requestId: id)?["reason"]?.string
        }
    }

    @Test("per certificate: 429 ThrottlingException after the burst, botocore retries it, tokens come back")
    func perCertificate() async throws {
        // One token per 5 s, burst 3: the burst assertions hold unless six requests take 5 s (a loaded machine).
        let context = try await OwnServer.start(extraArguments: ["--rate-limit-per-certificate", "0.2/3"])
        defer { Task { _ = await context.server.stop() } }
        let burst = try await Clients.raw(RawRequest(leaf: "leaf-ec-p256", arguments: ["--repeat", "6"]), context)
        let burstStatuses = Self.statuses(burst)
        #expect(burstStatuses.prefix(3) == [201, 201, 201] && burstStatuses.last == 429, "\(burst.output)")
        for (status, reason) in zip(burstStatuses, try Self.reasons(burst, context.server)) {
            #expect(reason == (status == 429 ? "throttled_certificate" : nil))
        }
        #expect(burst.errorCode == "ThrottlingException")
        #expect(burst.json?["message"]?.string == "Rate exceeded")
        let audit = try #require(try context.server.auditEntry(requestId: burst.requestId ?? ""))
        #expect(audit["outcome"]?.string == "denied")
        #expect(audit["certificate"]?["sha256"]?.string?.count == 64, "the throttled certificate is named")

        // botocore (boto3, the AWS CLI) classifies the answer as throttling and retries it; a 403 it does not.
        var headers: [String: String] = [:]
        for (name, value) in burst.headers { headers[name] = value }
        let headersJSON = String(data: try JSONSerialization.data(withJSONObject: headers), encoding: .utf8)!
        let classified = try await Clients.python(
            "botocore_retry.py", ["429", headersJSON, burst.body], caBundle: context.pki.caBundle)
        let verdict = try JSONValue.parse(classified.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(verdict["code"]?.string == "ThrottlingException", "\(classified.summary)")
        #expect(verdict["throttling"] == .bool(true))
        #expect(verdict["standardRetryable"] == .bool(true))
        #expect(verdict["legacyRetryable"] == .bool(true))

        // Another certificate has its own bucket; after 5 s this one has a token again.
        let other = try await Clients.raw(RawRequest(leaf: "leaf-rsa-2048"), context)
        #expect(other.status == 201, "\(other.output)")
        try await Task.sleep(nanoseconds: 5_200_000_000)
        let recovered = try await Clients.raw(RawRequest(leaf: "leaf-ec-p256", arguments: ["--repeat", "6"]), context)
        // At least one token came back, never more than the burst of 3.
        let statuses = Self.statuses(recovered)
        #expect(
            statuses.first == 201 && statuses.last == 429 && statuses.filter { $0 == 201 }.count <= 3,
            "\(recovered.output)")
    }

    @Test("anchorage-helper retries throttling with a fresh signature each time, then reports it")
    func helperRetriesThrottling() async throws {
        let context = try await OwnServer.start(extraArguments: ["--rate-limit-per-certificate", "0.001/1"])
        defer { Task { _ = await context.server.stop() } }
        let helper = try HelperBinary.path()
        let identity = try HelperInputs.identities()[0]
        let first = try await runProcess(
            helper, ["credential-process"] + HelperInputs.arguments(identity, context.server))
        #expect(first.status == 0, "\(first.summary)")
        let before = try context.server.auditEntries().count
        let second = try await runProcess(
            helper, ["credential-process"] + HelperInputs.arguments(identity, context.server))
        #expect(second.status == 1, "\(second.summary)")
        #expect(second.stdout.isEmpty)
        #expect(second.stderr.contains("ThrottlingException: Rate exceeded"), "\(second.stderr)")
        #expect(second.stderr.components(separatedBy: "retrying").count - 1 == 2, "3 attempts: \(second.stderr)")
        let attempts = try context.server.auditEntries().dropFirst(before)
        #expect(
            attempts.map { $0["reason"]?.string } == Array(repeating: "throttled_certificate", count: 3),
            "each retry is a new signed request, not a replay: \(attempts)")
    }

    @Test("per source address: 429 before any other check, audited as throttled_source")
    func perSource() async throws {
        let context = try await OwnServer.start(
            extraArguments: ["--rate-limit-per-source", "0.01/3", "--rate-limit-per-certificate", "0"])
        defer { Task { _ = await context.server.stop() } }
        let burst = try await Clients.raw(RawRequest(leaf: "leaf-ec-p256", arguments: ["--repeat", "3"]), context)
        #expect(Self.statuses(burst) == [201, 201, 201], "\(burst.output)")
        // Even a request that would fail every other check is answered 429: the limit comes first.
        let junk = try await Clients.raw(
            RawRequest(leaf: "leaf-unknown-ca", arguments: ["--repeat", "2", "--algorithm", "AWS4-X509-MLDSA"]), context
        )
        #expect(Self.statuses(junk) == [429, 429], "\(junk.output)")
        #expect(junk.errorCode == "ThrottlingException")
        #expect(try Self.reasons(junk, context.server) == ["throttled_source", "throttled_source"])
        let entry = try #require(try context.server.auditEntry(requestId: junk.requestId ?? ""))
        #expect(entry["sourceAddress"]?.string == "127.0.0.1")
        #expect(entry["certificate"] == .null, "nothing was parsed")
    }

    @Test(
        "replay: the same bytes again are refused (replayed_request); a fresh signature passes",
        arguments: ["leaf-ec-p256", "leaf-rsa-2048"])
    func replayRefused(leaf: String) async throws {
        let context = try await OwnServer.start(extraArguments: ["--replay-protection", "on"])
        defer { Task { _ = await context.server.stop() } }
        let replayed = try await Clients.raw(RawRequest(leaf: leaf, arguments: ["--repeat", "3", "--replay"]), context)
        #expect(Self.statuses(replayed) == [201, 429, 429], "\(replayed.output)")
        #expect(replayed.errorCode == "ThrottlingException")
        #expect(replayed.json?["message"]?.string == "Rate exceeded")
        #expect(try Self.reasons(replayed, context.server) == [nil, "replayed_request", "replayed_request"])
        let fresh = try await Clients.raw(RawRequest(leaf: leaf, arguments: ["--repeat", "2"]), context)
        #expect(Self.statuses(fresh) == [201, 201], "\(fresh.output)")
    }

    @Test("--replay-protection off accepts the same bytes again")
    func replayProtectionOff() async throws {
        let context = try await OwnServer.start(extraArguments: ["--replay-protection", "off"])
        defer { Task { _ = await context.server.stop() } }
        let replayed = try await Clients.raw(
            RawRequest(leaf: "leaf-ec-p256", arguments: ["--repeat", "2", "--replay"]), context)
        #expect(Self.statuses(replayed) == [201, 201], "\(replayed.output)")
    }

    @Test(
        "serve refuses malformed limit flags with a usage error",
        arguments: [
            ["--rate-limit-per-certificate", "fast"], ["--rate-limit-per-source", "10/0"],
            ["--replay-protection", "maybe"],
            ["--replay-cache-size", "0"],
        ])
    func badFlags(_ flags: [String]) async throws {
        let pki = try FixturePKI.shared()
        let config = try await TestConfiguration.write(pki: pki)
        let state = config.root.appendingPathComponent("state")
        let result = try await runProcess(
            try AnchorageBinary.url().path, ServeOptionsTests.serveArguments(config, state: state, pki: pki) + flags,
            timeout: 15)
        #expect(result.status == 64, "\(result.summary)")
        #expect(result.stderr.contains(flags[0]), "\(result.stderr)")
    }
}
