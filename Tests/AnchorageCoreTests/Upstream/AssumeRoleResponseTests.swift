import AnchorageCore
import Testing

/// Reading the upstream's answer and mapping failures to what the caller is told.
@Suite("Upstream: AssumeRole answers and error mapping")
struct AssumeRoleResponseTests {
    static let success = """
        <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
          <AssumeRoleResult>
            <SourceIdentity>CN=leaf</SourceIdentity>
            <AssumedRoleUser>
              <Arn>arn:aws:sts::123456789012:assumed-role/web-reader/build-42</Arn>
              <AssumedRoleId>AROA3XFRBF535PLBIFPI4:build-42</AssumedRoleId>
            </AssumedRoleUser>
            <Credentials>
              <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
              <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
              <SessionToken>AQoDYXdzEPT//////////wEXAMPLEtc764&amp;token</SessionToken>
              <Expiration>2026-12-06T07:36:14.508426Z</Expiration>
            </Credentials>
            <PackedPolicySize>6</PackedPolicySize>
          </AssumeRoleResult>
          <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
        </AssumeRoleResponse>
        """

    static func error(_ code: String, _ message: String = "detail") -> [UInt8] {
        Array(
            """
            <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>\
            <Code>\(code)</Code><Message>\(message)</Message></Error><RequestId>rid-1</RequestId></ErrorResponse>
            """.utf8)
    }

    @Test("a complete answer gives the upstream's credentials, expiration, ARN and request id")
    func success() throws {
        let issued = try AssumeRoleResponse.parse(status: 200, body: Array(Self.success.utf8)).get()
        #expect(issued.credentials.accessKeyId == "ASIAIOSFODNN7EXAMPLE")
        #expect(issued.credentials.secretAccessKey == "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY")
        #expect(issued.credentials.sessionToken == "AQoDYXdzEPT//////////wEXAMPLEtc764&token")
        #expect(UTCTimestamp.iso8601(issued.credentials.expiration) == "2026-12-06T07:36:14Z")
        #expect(issued.assumedRoleArn == "arn:aws:sts::123456789012:assumed-role/web-reader/build-42")
        #expect(issued.assumedRoleId == "AROA3XFRBF535PLBIFPI4:build-42")
        #expect(issued.packedPolicySize == 6)
        #expect(issued.requestId == "c6104cbe-af31-11e0-8154-cbc7ccf896c7")
    }

    @Test(
        "an answer missing any credential field is a failure, never partial credentials",
        arguments: ["AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "Arn", "AssumedRoleId"])
    func incompleteAnswer(field: String) {
        let broken = Self.success.replacingOccurrences(of: "<\(field)>", with: "<X\(field)>")
            .replacingOccurrences(of: "</\(field)>", with: "</X\(field)>")
        guard case .failure(let failure) = AssumeRoleResponse.parse(status: 200, body: Array(broken.utf8)) else {
            Issue.record("accepted an answer without \(field)")
            return
        }
        #expect(failure.denialReason == .upstreamUnavailable)
        #expect(!failure.isRetryable)
    }

    @Test("a bad expiration or an empty key is a failure")
    func badValues() {
        for broken in [
            Self.success.replacingOccurrences(of: "2026-12-06T07:36:14.508426Z", with: "tomorrow"),
            Self.success.replacingOccurrences(of: "ASIAIOSFODNN7EXAMPLE", with: ""),
        ] {
            guard case .failure = AssumeRoleResponse.parse(status: 200, body: Array(broken.utf8)) else {
                Issue.record("accepted \(broken)")
                continue
            }
        }
    }

    @Test(
        "error answers map to the caller's error; the upstream's text stays in the detail",
        arguments: [
            (403, "AccessDenied", DenialReason.upstreamAccessDenied, 403, false),
            (403, "InvalidClientTokenId", .upstreamAccessDenied, 403, false),
            (400, "MalformedPolicyDocument", .upstreamAccessDenied, 403, false),
            (400, "Throttling", .upstreamThrottled, 429, false),
            (400, "RequestLimitExceeded", .upstreamThrottled, 429, false),
            (503, "SlowDown", .upstreamThrottled, 429, false),
            (429, "", .upstreamThrottled, 429, false),
            (500, "InternalFailure", .upstreamUnavailable, 503, true),
            (503, "ServiceUnavailable", .upstreamUnavailable, 503, true),
        ] as [(Int, String, DenialReason, Int, Bool)])
    func errorMapping(status: Int, code: String, reason: DenialReason, wireStatus: Int, retryable: Bool) {
        guard
            case .failure(let failure) = AssumeRoleResponse.parse(
                status: status, body: Self.error(code, "sécret <text>"))
        else {
            Issue.record("an error answer gave credentials")
            return
        }
        #expect(failure.denialReason == reason)
        #expect(failure.denialReason.wireError.status == wireStatus)
        #expect(!failure.denialReason.wireError.message.contains("sécret"))
        #expect(failure.isRetryable == retryable)
        #expect(failure.requestId == "rid-1")
        #expect(failure.detail.contains("sécret <text>") || code.isEmpty)
    }

    @Test(
        "a redirect or another status below 400 is 503, not a refusal: the endpoint is wrong (no redirect is followed)",
        arguments: [301, 302, 303, 307, 308, 304, 100, 199])
    func unexpectedStatus(status: Int) {
        guard case .failure(let failure) = AssumeRoleResponse.parse(status: status, body: Self.error("AccessDenied"))
        else {
            Issue.record("HTTP \(status) gave credentials")
            return
        }
        #expect(failure.denialReason == .upstreamUnavailable)
        #expect(failure.denialReason.wireError.status == 503)
        #expect(!failure.isRetryable)
        #expect(failure.detail.contains("HTTP \(status)"))
    }

    @Test("the assumed-role ARN must be a session of the role asked for: partition, account and role name")
    func sessionOfRole() throws {
        let issued = try AssumeRoleResponse.parse(status: 200, body: Array(Self.success.utf8)).get()
        #expect(issued.isSession(of: "arn:aws:iam::123456789012:role/web-reader"))
        #expect(issued.isSession(of: "arn:aws:iam::123456789012:role/team/web-reader"))
        #expect(!issued.isSession(of: "arn:aws:iam::123456789012:role/admin"))
        #expect(!issued.isSession(of: "arn:aws:iam::999999999999:role/web-reader"))
        #expect(!issued.isSession(of: "arn:aws-cn:iam::123456789012:role/web-reader"))
        #expect(!issued.isSession(of: "arn:aws:iam::123456789012:role/web-reade"))
        var other = issued
        other.assumedRoleArn = "arn:aws:iam::123456789012:role/web-reader"
        #expect(!other.isSession(of: "arn:aws:iam::123456789012:role/web-reader"))
        other.assumedRoleArn = "arn:aws:sts::123456789012:assumed-role/web-reader/a/b"
        #expect(!other.isSession(of: "arn:aws:iam::123456789012:role/web-reader"))
    }

    @Test("the upstream's code, message and request id are bounded before they reach a log line or the audit log")
    func boundedUpstreamText() {
        let long = String(repeating: "A", count: 100_000)
        let body = Array(
            "<ErrorResponse><Error><Code>\(long)</Code><Message>\(long)</Message></Error><RequestId>\(long)</RequestId></ErrorResponse>"
                .utf8)
        for status in [400, 500] {
            guard case .failure(let failure) = AssumeRoleResponse.parse(status: status, body: body) else {
                Issue.record("an error answer gave credentials")
                continue
            }
            #expect(failure.code.utf8.count <= 128)
            #expect((failure.requestId?.utf8.count ?? 0) <= 128)
            #expect(failure.detail.utf8.count <= 1024)
        }
        let malformed = Array("<AssumeRoleResponse><RequestId>\(long)</RequestId></AssumeRoleResponse>".utf8)
        guard case .failure(let failure) = AssumeRoleResponse.parse(status: 200, body: malformed) else {
            Issue.record("an incomplete answer gave credentials")
            return
        }
        #expect((failure.requestId?.utf8.count ?? 0) <= 128)
    }

    @Test("transport failures and unreadable keys are 503; only a transport failure or a 5xx is retried")
    func withoutAnswer() {
        #expect(UpstreamFailure.unreachable("connect refused").denialReason == .upstreamUnavailable)
        #expect(UpstreamFailure.unreachable("connect refused").isRetryable)
        #expect(UpstreamFailure.credentialsUnavailable("mode 644").denialReason == .upstreamUnavailable)
        #expect(!UpstreamFailure.credentialsUnavailable("mode 644").isRetryable)
        #expect(UpstreamFailure.overloaded.denialReason.wireError.status == 503)
    }
}
