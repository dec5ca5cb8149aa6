import AnchorageCore
import Testing

/// Fitting principal tags and the source identity to STS's limits before `AssumeRole`.
@Suite("Upstream: session tags")
struct UpstreamSessionTagsTests {
    @Test("tags that break STS's pattern or lengths are dropped, never rewritten")
    func invalidTagsDropped() {
        let tags = [
            PrincipalTag(key: "x509Subject/OU", value: "web"),
            PrincipalTag(key: "x509Subject/CN", value: "a,b"),  // ',' is outside the pattern
            PrincipalTag(key: String(repeating: "k", count: 129), value: "v"),  // key too long
            PrincipalTag(key: "x509SAN/URI", value: String(repeating: "v", count: 257)),  // value too long
            PrincipalTag(key: "aws:PrincipalTag", value: "reserved"),
            PrincipalTag(key: "X509SUBJECT/OU", value: "duplicate ignoring case"),
            PrincipalTag(key: "x509Issuer/CN", value: "Ünïcode Root 1"),
            PrincipalTag(key: String(repeating: "k", count: 128), value: String(repeating: "v", count: 256)),
        ]
        let fitted = UpstreamSessionTags.fit(tags)
        #expect(fitted.sent == [tags[0], tags[6], tags[7]])
        #expect(fitted.dropped == [tags[1].key, tags[2].key, tags[3].key, tags[4].key, tags[5].key])
    }

    @Test("only the first 50 tags are sent")
    func atMostFifty() {
        let tags = (0..<53).map { PrincipalTag(key: "k\($0)", value: "v") }
        let fitted = UpstreamSessionTags.fit(tags)
        #expect(fitted.sent == Array(tags.prefix(50)))
        #expect(fitted.dropped == ["k50", "k51", "k52"])
    }

    @Test(
        "a source identity outside STS's pattern is not sent",
        arguments: [
            ("CN=leaf-1", "CN=leaf-1"), ("ID=0a1b", "ID=0a1b"), ("CN=web server", nil), ("x", nil),
            (String(repeating: "a", count: 65), nil), ("CN=ünïcode", nil),
        ] as [(String, String?)])
    func sourceIdentity(input: String, sent: String?) {
        #expect(UpstreamSessionTags.sourceIdentity(input) == sent)
    }
}
