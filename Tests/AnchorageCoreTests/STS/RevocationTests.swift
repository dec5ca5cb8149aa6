import AnchorageCore
import Testing

@Suite struct RevocationTests {
    @Test(arguments: [
        ("serial=7A713C92516C21ADE3A75F4321420B02", "7a713c92516c21ade3a75f4321420b02"),
        ("7a:71:3c:92:51:6c:21:ad:e3:a7:5f:43:21:42:0b:02", "7a713c92516c21ade3a75f4321420b02"),
        ("00:0A", "a"),
        ("0x0A", "a"),
        ("  0a1B\n", "a1b"),
        ("00", "0"),
    ])
    func serialsNormalise(_ text: String, _ expected: String) {
        #expect(RevocationIdentifiers.normalizedSerial(text) == expected)
    }

    @Test(arguments: ["", "serial=", "0g", "7a-71", "::", String(repeating: "a", count: 129)])
    func badSerials(_ text: String) {
        #expect(RevocationIdentifiers.normalizedSerial(text) == nil)
    }

    @Test func fingerprintsNormalise() {
        let colons = (0..<32).map { _ in "AB" }.joined(separator: ":")
        #expect(
            RevocationIdentifiers.normalizedSHA256("sha256 Fingerprint=" + colons) == String(repeating: "ab", count: 32)
        )
        #expect(RevocationIdentifiers.normalizedSHA256(String(repeating: "a", count: 63)) == nil)
    }

    @Test func certificateRevocationMatchesPaddedSerials() {
        let list = RevocationList([
            Revocation(id: "r-1", selector: .certificateSerial("a", trustAnchorArn: nil), revokedAt: 0)
        ])
        #expect(list.certificateRevocation(serialHex: "0a", sha256: "", trustAnchorArn: "x")?.id == "r-1")
        #expect(list.certificateRevocation(serialHex: "0b", sha256: "", trustAnchorArn: "x") == nil)
    }

    @Test func fileRoundTrips() throws {
        let entries = [
            Revocation(
                id: "r-1", selector: .certificateSerial("a1", trustAnchorArn: nil), revokedAt: 1_795_575_845,
                revokedBy: "ops", reason: "leaked key"),
            Revocation(
                id: "r-2", selector: .certificateSerial("a2", trustAnchorArn: STSTestSession.anchorArn),
                revokedAt: 1_795_575_845),
            Revocation(id: "r-3", selector: .certificateSHA256(STSTestSession.sha256), revokedAt: 1_795_575_845),
            Revocation(id: "r-4", selector: .accessKey("ASIAABCDEFGHIJKLMNOP"), revokedAt: 1_795_575_845),
            Revocation(
                id: "r-5", selector: .trustAnchor(STSTestSession.anchorArn, issuedBefore: 1_795_575_846),
                revokedAt: 1_795_575_845),
            Revocation(
                id: "r-6", selector: .role(STSTestSession.roleArn, issuedBefore: 1_795_575_846),
                revokedAt: 1_795_575_845),
        ]
        let text = JSONWriter.string(RevocationList(entries).json)
        #expect(text.contains(#""revokedAt":"2026-11-25T03:04:05Z""#))
        let parsed = try RevocationList(json: try JSONParser.parse(text))
        #expect(parsed.entries == entries)
    }

    @Test(arguments: [
        (
            #"{"revocations":[{"id":"r","type":"certificate-serial","serial":"zz","revokedAt":"2026-11-25T03:04:05Z"}]}"#,
            "$.revocations[0].serial"
        ),
        (
            #"{"revocations":[{"id":"r","type":"role","roleArn":"arn:aws:iam::1:role/x","revokedAt":"2026-11-25T03:04:05Z"}]}"#,
            "$.revocations[0].issuedBefore"
        ),
        (
            #"{"revocations":[{"id":"r","type":"access-key","accessKeyId":"ASIAABCDEFGHIJKLMNOP","revokedAt":"2026-11-31T03:04:05Z"}]}"#,
            "$.revocations[0].revokedAt"
        ),
        (
            #"{"revocations":[{"id":"r","type":"access-key","accessKeyId":"ASIAABCDEFGHIJKLMNOP","revokedAt":"2026-11-25T03:04:05Z","serial":"0a"}]}"#,
            "$.revocations[0].serial"
        ),
        (#"{"revocations":[{"id":"r","type":"nope","revokedAt":"2026-11-25T03:04:05Z"}]}"#, "$.revocations[0].type"),
        (
            #"{"revocations":[{"id":"r","type":"trust-anchor","trustAnchorArn":"arn:aws:iam::1:role/x","issuedBefore":"2026-11-25T03:04:05Z","revokedAt":"2026-11-25T03:04:05Z"}]}"#,
            "$.revocations[0].trustAnchorArn"
        ),
        (
            #"{"revocations":[{"id":"r","type":"access-key","accessKeyId":"ASIAABCDEFGHIJKLMNOP","revokedAt":"2026-11-25T03:04:05Z"},{"id":"r","type":"access-key","accessKeyId":"ASIAABCDEFGHIJKLMNOQ","revokedAt":"2026-11-25T03:04:05Z"}]}"#,
            "$.revocations[1].id"
        ),
        (#"{"revocations":[],"extra":1}"#, "$.extra"),
    ])
    func strictParsing(_ text: String, _ path: String) throws {
        do {
            _ = try RevocationList(json: try JSONParser.parse(text))
            Issue.record("accepted \(text)")
        } catch let error as SchemaError {
            #expect(error.path == path, "\(error)")
        }
    }

    @Test func timestampsParse() {
        #expect(UTCTimestamp.parseISO8601("2026-11-25T03:04:05Z") == 1_795_575_845)
        #expect(UTCTimestamp.parseISO8601("2026-11-25T03:04:05.123Z") == 1_795_575_845)
        #expect(UTCTimestamp.parseISO8601("2026-02-29T03:04:05Z") == nil)
        #expect(UTCTimestamp.parseISO8601("2026-11-25 03:04:05Z") == nil)
        #expect(UTCTimestamp.parseISO8601("2026-11-25T03:04:05") == nil)
        // Forms the policy date parser takes but a revocation time does not.
        for text in [
            "2026-11-25T03:04:05+00:00", "2026-11-25", "1795575845", "2026-11-25T03:04:60Z", "2026-11-25T03:04:05.Z",
            "2026-04-31T00:00:00Z", "2026-11-25T24:00:00Z", "2026-11-25T03:04:05ZZ", "2026-11-25T03:04:05.12x3Z",
        ] {
            #expect(UTCTimestamp.parseISO8601(text) == nil, "\(text)")
        }
        #expect(UTCTimestamp.parseISO8601("1969-12-31T23:59:59.5Z") == -1)
    }
}
