import AnchorageBasics
import AnchorageConfig
import AnchorageCrypto
import AnchorageTestSupport
import Foundation
import Testing

@testable import AnchorageBenchmark

/// The correctness checks of the benchmark's scenarios (once its `--short` mode): the benchmark's own PKI,
/// configuration, request factory and load driver against the debug `anchorage serve`, each answer asserted.
@Suite("benchmark scenarios against the debug server")
struct BenchmarkAnswerTests {
    @Test("201 shapes, denials with their audit reasons, validity and revocation of cached certificates")
    func answersAreRight() throws {
        var options = Options()
        options.requests = 200
        options.fresh = 60
        options.newConnections = 40
        options.scale = false
        let benchmark = try Benchmark(options: options, binary: AnchorageBinary.url().path)
        defer { benchmark.cleanUp() }
        try benchmark.checkAnswers()
    }
}

extension Benchmark {
    /// The scenarios of the benchmark at a small size, asserting the answers, not timings: 201 credential sets of
    /// the right shape for P-256, RSA-2048, intermediate, never-seen and new-connection requests; the expected
    /// denials and audit reasons; validity and CRL revocation still checked for cached certificates.
    func checkAnswers() throws {
        let configuration = try smallConfiguration()
        let server = try startServer(configuration)
        let factory = RequestFactory(host: "127.0.0.1:\(server.port)")
        let target = configuration.target
        var checks = AnswerChecks(server: server, target: target)

        func run(_ name: String, _ requests: [[UInt8]], concurrency: Int, newConnections: Bool = false) -> LoadResult {
            let result = LoadDriver.run(
                requests, port: server.port, concurrency: concurrency, newConnectionPerRequest: newConnections,
                keepAnswers: true, server: server)
            checks.sent += requests.count
            emit(
                String(
                    format: "  %@ %4d requests  %6.0f/s  statuses %@",
                    name.padding(toLength: 40, withPad: " ", startingAt: 0) as NSString, result.requests,
                    result.rate, "\(result.statuses.sorted { $0.key < $1.key })" as NSString))
            return result
        }

        try checks.expectIssued(
            run(
                "P-256 keep-alive c=1",
                factory.make(options.requests / 2, identities: [pki.leafEC], target: target, threads: cores),
                concurrency: 1), leaf: pki.leafEC)
        try checks.expectIssued(
            run(
                "P-256 keep-alive c=4",
                factory.make(options.requests, identities: [pki.leafEC], target: target, threads: cores), concurrency: 4
            ), leaf: pki.leafEC)
        try checks.expectIssued(
            run(
                "RSA-2048 keep-alive c=4",
                factory.make(options.requests / 2, identities: [pki.leafRSA], target: target, threads: cores),
                concurrency: 4), leaf: pki.leafRSA)
        try checks.expectIssued(
            run(
                "P-256 + intermediate c=4",
                factory.make(
                    options.requests / 2, identities: [pki.leafViaIntermediate], target: target, threads: cores),
                concurrency: 4), leaf: pki.leafViaIntermediate)
        let fresh = try pki.freshLeaves(options.fresh, threads: cores)
        try checks.expectIssued(
            run(
                "P-256 never seen c=4", factory.make(options.fresh, identities: fresh, target: target, threads: cores),
                concurrency: 4), leaf: nil)
        try checks.expectIssued(
            run(
                "P-256 new connection per request c=2",
                factory.make(options.newConnections, identities: [pki.leafEC], target: target, threads: cores),
                concurrency: 2, newConnections: true), leaf: pki.leafEC)

        // Denials, each sent several times so that a cached first answer would show.
        try checks.expectDenied(
            run("revoked leaf", factory.make(6, identities: [pki.revoked], target: target, threads: 1), concurrency: 2),
            message: "Untrusted Signing Certificate", reason: "certificate_revoked")
        try checks.expectDenied(
            run(
                "leaf of an untrusted CA", factory.make(6, identities: [pki.foreign], target: target, threads: 1),
                concurrency: 2), message: "Untrusted Signing Certificate", reason: "untrusted_certificate")
        var withoutChain = pki.leafViaIntermediate
        withoutChain.chain = []
        try checks.expectDenied(
            run(
                "intermediate leaf without its chain",
                factory.make(6, identities: [withoutChain], target: target, threads: 1), concurrency: 2),
            message: "Untrusted Signing Certificate", reason: "untrusted_certificate")
        try checks.expectDenied(
            run(
                "tampered signature (seen leaf)",
                factory.make(6, identities: [pki.leafEC], target: target, threads: 1, tamper: true), concurrency: 2),
            message: "Invalid signature", reason: "signature_mismatch")
        try checks.expectDenied(
            run(
                "role not in the profile",
                factory.make(6, identities: [pki.leafEC], target: configuration.unlistedTarget, threads: 1),
                concurrency: 2), message: "Access denied", reason: "role_not_in_profile")

        // Validity is checked per request even for a cached certificate and path.
        let expiresAt = Int64(Date().timeIntervalSince1970) + 3
        let shortLived = try BenchmarkPKI.leaf(
            "bench-short-lived", key: .ecP256, issuer: pki.root, issuerKey: pki.rootKey, now: pki.now,
            notAfter: expiresAt)
        try checks.expectIssued(
            run(
                "short-lived leaf before notAfter",
                factory.make(4, identities: [shortLived], target: target, threads: 1), concurrency: 1), leaf: shortLived
        )
        while Int64(Date().timeIntervalSince1970) <= expiresAt + 1 { usleep(100_000) }
        try checks.expectDenied(
            run(
                "same leaf after notAfter", factory.make(4, identities: [shortLived], target: target, threads: 1),
                concurrency: 1), message: "Untrusted Signing Certificate", reason: "certificate_expired")

        let decision = try inProcessDecision(configuration, factory: factory, count: 50)
        emit(
            String(
                format: "  in-process decision path: %d of %d requests issued credentials", decision.issued,
                decision.requests))
        let floor = try transportFloor(configuration, factory: factory, server: server, count: 200)
        let connectionFloor = try transportFloor(
            configuration, factory: factory, server: server, count: 20, newConnectionPerRequest: true)
        // Unrouted requests are refused before any decision and leave no audit record, so `checks.sent` stays.
        emit(
            "  transport floor: \(floor.requests) unrouted requests answered 404 (keep-alive), \(connectionFloor.requests) on new connections"
        )
        let handshake = try handshakeAlone(handshakes: 20)
        emit(
            "  OpenSSL handshake alone: \(handshake.handshakes) in memory, \(handshake.protocolVersion) \(handshake.cipher)"
        )

        // Revocation is checked per request: a new CRL (reload) must deny a leaf whose path is cached.
        var crlBuilder = CertificateRevocationListBuilder(thisUpdate: pki.now - 60, nextUpdate: pki.now + 86_400)
        crlBuilder.revokedSerials = [pki.leafEC.certificate.serialNumberBytes]
        let newCRL = try crlBuilder.issue(issuer: pki.root, issuerKey: pki.rootKey)
        try configuration.writer.write(
            ConfigurationWriter.crlFile(anchor: configuration.benchAnchorName, name: "second.crl", [newCRL]))
        server.reload()
        let deadline = MonotonicTime.seconds + 15
        var revokedNow = false
        while !revokedNow, MonotonicTime.seconds < deadline {
            let probe = LoadDriver.run(
                factory.make(1, identities: [pki.leafEC], target: target, threads: 1), port: server.port,
                concurrency: 1, keepAnswers: true, server: server)
            checks.sent += 1
            revokedNow = probe.answers.first??.status == 403
            if !revokedNow { usleep(200_000) }
        }
        guard revokedNow else { throw BenchmarkError("a leaf revoked by a reloaded CRL was still issued credentials") }
        try checks.expectDenied(
            run(
                "leaf revoked by a reloaded CRL", factory.make(4, identities: [pki.leafEC], target: target, threads: 1),
                concurrency: 2), message: "Untrusted Signing Certificate", reason: "certificate_revoked")
        try checks.expectIssued(
            run(
                "other leaf after the reload", factory.make(4, identities: [pki.leafRSA], target: target, threads: 1),
                concurrency: 2), leaf: pki.leafRSA)

        try checks.expectAuditComplete()
    }
}

/// The assertions of ``Benchmark/checkAnswers()``.
struct AnswerChecks {
    let server: ServerProcess
    let target: Target
    var sent = 0

    func expectIssued(_ result: LoadResult, leaf: Identity?) throws {
        guard result.transportErrors == 0 else {
            throw BenchmarkError("\(result.transportErrors) transport errors: \(result.firstError ?? "")")
        }
        for case let answer? in result.answers {
            guard answer.status == 201 else {
                throw BenchmarkError(
                    "expected 201, got \(answer.status): \(String(decoding: answer.body, as: UTF8.self))")
            }
            try checkShape(answer.body, leaf: leaf)
        }
        guard result.answers.compactMap({ $0 }).count == result.requests else {
            throw BenchmarkError("answers missing")
        }
    }

    func checkShape(_ body: [UInt8], leaf: Identity?) throws {
        let text = String(decoding: body, as: UTF8.self)
        func fail(_ why: String) -> BenchmarkError { BenchmarkError("201 body \(why): \(text)") }
        guard let document = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            let sets = document["credentialSet"] as? [[String: Any]], sets.count == 1,
            let credentials = sets[0]["credentials"] as? [String: Any],
            let user = sets[0]["assumedRoleUser"] as? [String: Any]
        else { throw fail("is not a credentialSet document") }
        guard let keyId = credentials["accessKeyId"] as? String, keyId.hasPrefix("ASIA"), keyId.count == 20,
            let secret = credentials["secretAccessKey"] as? String, secret.count == 40,
            let token = credentials["sessionToken"] as? String, !token.isEmpty,
            let expiration = credentials["expiration"] as? String, expiration.hasSuffix("Z")
        else { throw fail("has malformed credentials") }
        guard sets[0]["roleArn"] as? String == target.roleArn else { throw fail("names the wrong role") }
        guard let arn = user["arn"] as? String, arn.hasPrefix("arn:aws:sts::\(BenchmarkARNs.account):assumed-role/"),
            user["assumedRoleId"] is String, sets[0]["packedPolicySize"] is Int,
            let subjectArn = document["subjectArn"] as? String,
            subjectArn.hasPrefix("arn:aws:rolesanywhere:us-east-1:\(BenchmarkARNs.account):subject/")
        else { throw fail("has a malformed assumedRoleUser or subjectArn") }
        if let leaf {
            guard arn.hasSuffix("/" + leaf.certificate.serialNumberHex) else {
                throw fail("has the wrong session name")
            }
            let cn = leaf.certificate.subject.last { $0.shortName == "CN" }?.value ?? ""
            guard sets[0]["sourceIdentity"] as? String == "CN=\(cn)" else { throw fail("has the wrong sourceIdentity") }
        }
    }

    func expectDenied(_ result: LoadResult, message: String, reason: String) throws {
        guard result.transportErrors == 0 else {
            throw BenchmarkError("\(result.transportErrors) transport errors: \(result.firstError ?? "")")
        }
        let audit = try auditReasons()
        for case let answer? in result.answers {
            let text = String(decoding: answer.body, as: UTF8.self)
            guard answer.status == 403, answer.errorType == "AccessDeniedException", text.contains(message) else {
                throw BenchmarkError("expected 403 \(message), got \(answer.status) \(text)")
            }
            guard let id = answer.requestId, audit[id] == reason else {
                throw BenchmarkError(
                    "expected audit reason \(reason), got \(answer.requestId.flatMap { audit[$0] } ?? "no record")")
            }
        }
    }

    /// requestId → reason (`allowed` for issued credentials).
    func auditReasons() throws -> [String: String] {
        let text = try String(contentsOf: server.stateDirectory.appendingPathComponent("audit.jsonl"), encoding: .utf8)
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let id = object["requestId"] as? String
            else { throw BenchmarkError("unreadable audit line: \(line)") }
            out[id] = (object["reason"] as? String) ?? (object["outcome"] as? String ?? "?")
        }
        return out
    }

    func expectAuditComplete() throws {
        let records = try auditReasons().count
        guard records == sent else { throw BenchmarkError("\(sent) requests but \(records) audit records") }
    }
}
