import AnchorageCore
import AnchorageCrypto
import AnchorageHTTP
import Testing

@testable import AnchorageClient

/// What a hostile service, proxy URL or local web page can put in front of the helper.
@Suite("Hostile input: credential fields, refresh timing, proxy URLs, terminal text, the IMDS emulation")
struct HostileInputTests {
    static let key = "ASIAEXAMPLEKEY0001"
    static let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    static let token = "FwoGZXIvYXdzEBYaDH+/example=="
    static let expiration = "2030-01-01T00:00:00Z"

    static func make(
        key: String = key, secret: String = secret, token: String = token, expiration: String = expiration
    ) throws(HelperError) -> SessionCredentials {
        try SessionCredentials(accessKeyId: key, secretAccessKey: secret, sessionToken: token, expiration: expiration)
    }

    @Test("values in their field's character set are accepted as they are")
    func acceptsAWSShapes() throws {
        let credentials = try Self.make()
        #expect(credentials.sessionToken == Self.token)
        #expect(credentials.expirationSeconds == 1_893_456_000)
        // Anchorage's own token format: standard base64 of a sealed blob.
        let sealed = Base64.encode((0..<300).map { UInt8($0 % 256) })
        #expect(try Self.make(token: sealed).sessionToken == sealed)
        #expect(try Self.make(expiration: "2028-02-29T23:59:59.123456Z").expirationSeconds == 1_835_481_599)
    }

    static let injections = ["\n\n[pwn]\ncredential_process = sh -c id\n", "\0", "\u{1B}[2J", " ", "\t", "\r", "é"]

    @Test(
        "a newline, NUL, control character, space or non-ASCII character in any field is refused", arguments: injections
    )
    func refusesInjection(_ injected: String) throws {
        let cases: [(String, () throws -> SessionCredentials)] = [
            ("AccessKeyId", { () throws -> SessionCredentials in try Self.make(key: Self.key + injected) }),
            ("SecretAccessKey", { () throws -> SessionCredentials in try Self.make(secret: Self.secret + injected) }),
            ("SessionToken", { () throws -> SessionCredentials in try Self.make(token: Self.token + injected) }),
            (
                "Expiration",
                { () throws -> SessionCredentials in try Self.make(expiration: Self.expiration + injected) }
            ),
        ]
        for (field, make) in cases {
            do {
                _ = try make()
                Issue.record("\(field) accepted \(injected.debugDescription)")
            } catch let error as HelperError {
                #expect(error.message.contains(field), "\(error.message)")
                #expect(!error.message.contains(injected) || injected == " ", "the value is not echoed")
                #expect(!error.message.contains(Self.secret) && !error.message.contains(Self.token))
            } catch {
                Issue.record("\(error)")
            }
        }
    }

    @Test("empty fields and lengths outside AWS's are refused")
    func refusesEmptyAndOddLengths() {
        let makers: [() throws -> SessionCredentials] = [
            { () throws -> SessionCredentials in try Self.make(key: "") },
            { () throws -> SessionCredentials in try Self.make(secret: "") },
            { () throws -> SessionCredentials in try Self.make(token: "") },
            { () throws -> SessionCredentials in try Self.make(expiration: "") },
            { () throws -> SessionCredentials in try Self.make(key: "ASIA1") },
            { () throws -> SessionCredentials in try Self.make(key: "asiaexamplekey0001") },
            { () throws -> SessionCredentials in try Self.make(key: String(repeating: "A", count: 129)) },
            { () throws -> SessionCredentials in try Self.make(token: String(repeating: "A", count: 16385)) },
            { () throws -> SessionCredentials in try Self.make(token: "url-safe_token") },
        ]
        for make in makers {
            #expect(throws: HelperError.self) { try make() }
        }
        #expect(throws: HelperError.self) {
            try CreateSessionClient.parseCredentials(
                Array(
                    #"{"credentialSet":[{"credentials":{"accessKeyId":"","secretAccessKey":"","sessionToken":"","expiration":"2030-01-01T00:00:00Z"}}]}"#
                        .utf8))
        }
    }

    @Test(
        "Expiration is a strict ISO-8601 UTC time with real ranges",
        arguments: [
            "2030-13-45T99:99:99Z", "2030-00-10T00:00:00Z", "2030-01-00T00:00:00Z", "2029-02-29T00:00:00Z",
            "2030-04-31T00:00:00Z", "2030-01-01T24:00:00Z", "2030-01-01T00:60:00Z", "2030-01-01T00:00:60Z",
            "2030-01-01 00:00:00Z", "2030-01-01T00:00:00", "2030-01-01T00:00:00+00:00", "+030-01-01T00:00:00Z",
            "2030-01-01T00:00:00.Z", "2030-01-01T00:00:00.1234567890Z", "2030-1-01T00:00:00Z", "1969-12-31T23:59:59Z",
            "٢٠٣٠-01-01T00:00:00Z",
        ])
    func refusesImpossibleExpirations(_ text: String) {
        #expect(SessionCredentials.parseExpiration(text) == nil)
    }

    @Test("credentials due on arrival back off exponentially with jitter, up to 5 minutes")
    func refreshBackoff() {
        var schedule = RefreshSchedule(refreshBefore: 300, failureDelay: 30, random: { 0.5 })
        let now: Int64 = 1_800_000_000
        #expect(schedule.afterSuccess(expiration: now + 3600, now: now) == .init(seconds: 3300, isBackoff: false))
        var waits: [Double] = []
        for _ in 0..<9 { waits.append(schedule.afterSuccess(expiration: now + 120, now: now).seconds) }
        #expect(waits == [3.75, 7.5, 15, 30, 60, 120, 225, 225, 225])
        #expect(schedule.afterSuccess(expiration: now - 10, now: now) == .init(seconds: 225, isBackoff: true))
        #expect(schedule.afterSuccess(expiration: now + 900, now: now) == .init(seconds: 600, isBackoff: false))
        #expect(schedule.afterSuccess(expiration: now + 300, now: now) == .init(seconds: 3.75, isBackoff: true))
        #expect(schedule.afterFailure() == 22.5)
        var low = RefreshSchedule(refreshBefore: 0, failureDelay: 5, random: { 0 })
        #expect(low.afterSuccess(expiration: now, now: now) == .init(seconds: 2.5, isBackoff: true))
        #expect(low.afterFailure() == 2.5)
    }

    @Test("--refresh-before must be shorter than the session")
    func impossibleRefreshSettings() throws {
        try RefreshSchedule.validate(refreshBefore: 898, sessionDuration: 900)
        try RefreshSchedule.validate(refreshBefore: 0, sessionDuration: 900)
        for (before, duration) in [(900, 900), (43200, 3600), (3601, 3600)] {
            #expect(
                throws: HelperError.usage(
                    "--refresh-before \(before) must be shorter than --session-duration \(duration): "
                        + "credentials would be due for refresh as soon as they arrive")
            ) {
                try RefreshSchedule.validate(refreshBefore: before, sessionDuration: duration)
            }
        }
    }

    @Test(
        "a proxy URL's password never appears in an error",
        arguments: [
            "https://user:s3cr3t@proxy:3128", "socks5://user:s3cr3t@proxy:1080", "http://user:s3cr3t@proxy:http",
            "http://user:s3cr3t@proxy:99999", "user:s3/cr3t@proxy:x", "http://user:s3cr3t@:3128",
        ])
    func proxyPasswordRedacted(_ url: String) {
        do {
            _ = try ProxySettings.parse(url)
            Issue.record("accepted \(url)")
        } catch {
            #expect(!error.message.contains("s3cr3t") && !error.message.contains("cr3t"), "\(error.message)")
            #expect(error.message.contains("***@"), "\(error.message)")
        }
        #expect(ProxySettings.redacted("http://proxy:3128") == "http://proxy:3128")
    }

    @Test("control characters become visible escapes")
    func terminalText() {
        #expect(TerminalText.escaped("a\u{1B}]0;t\u{7}b\u{9B}c\u{7F}") == "a\\u{1b}]0;t\\u{7}b\\u{9b}c\\u{7f}")
        #expect(TerminalText.escaped("one\ntwo\tx") == "one\\u{a}two\tx")
        #expect(TerminalText.escaped("one\ntwo", keepingNewlines: true) == "one\ntwo")
        let error = CreateSessionClient.serviceError(
            HTTPResponse(
                status: 403, headers: ["X-Amzn-ErrorType": "Denied\u{1B}[31m"],
                body: Array(#"{"message":"no\u001b[2J\nway"}"#.utf8)))
        #expect(error.type == "Denied\\u{1b}[31m" && error.message == "no\\u{1b}[2J\\u{a}way")
    }

    static func handler() -> MetadataHandler {
        MetadataHandler(
            cache: CredentialCache(), roleName: "web-reader", roleArn: "arn:aws:iam::123456789012:role/web-reader",
            containerToken: "token", tokens: IMDSTokenStore())
    }

    @Test("the IMDS emulation answers only to its own names (no DNS rebinding)")
    func hostHeader() {
        let handler = Self.handler()
        func status(_ host: String?) -> Int {
            var headers: HTTPHeaders = ["x-aws-ec2-metadata-token-ttl-seconds": "60"]
            if let host { headers.add(name: "Host", value: host) }
            return handler.handle(HTTPRequest(method: "PUT", target: "/latest/api/token", headers: headers)).status
        }
        for host in ["127.0.0.1:9911", "127.0.0.1", "localhost:9911", "LOCALHOST", "169.254.169.254"] {
            #expect(status(host) == 200, "\(host)")
        }
        for host in ["evil.example:9911", "127.0.0.1.evil.example", "127.0.0.1:99x", "", nil] as [String?] {
            #expect(status(host) == 400, "\(host ?? "no Host")")
        }
        let ecs = handler.handle(
            HTTPRequest(
                method: "GET", target: MetadataServer.ecsPath,
                headers: ["Host": "attacker.example", "Authorization": "token"]))
        #expect(ecs.status == 400)
    }

    @Test("a token PUT without the TTL header is a 400, as on the real IMDS")
    func tokenNeedsTTL() {
        let handler = Self.handler()
        let missing = handler.handle(
            HTTPRequest(method: "PUT", target: "/latest/api/token", headers: ["Host": "127.0.0.1"]))
        #expect(missing.status == 400)
        for ttl in ["0", "21601", "-1", "x"] {
            let bad = handler.handle(
                HTTPRequest(
                    method: "PUT", target: "/latest/api/token",
                    headers: ["Host": "127.0.0.1", "x-aws-ec2-metadata-token-ttl-seconds": ttl]))
            #expect(bad.status == 400, "\(ttl)")
        }
    }
}
