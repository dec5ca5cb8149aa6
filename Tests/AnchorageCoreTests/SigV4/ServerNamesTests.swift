import AnchorageCore
import Testing

/// The signed `Host` against the server's names (issue 16, item 5): host not port, DNS names without case,
/// IP addresses as addresses, IPv6 only in brackets, `*.` one label deep; everything else refused.
@Suite struct ServerNamesTests {
    static let names = ServerNames(names: ["localhost", "127.0.0.1", "::1", "API.Example.com", "*.svc.example.org"])

    @Test(arguments: [
        "localhost", "localhost:8443", "LOCALHOST", "LocalHost:1", "localhost:", "127.0.0.1", "127.0.0.1:443",
        "[::1]", "[::1]:8443", "[0:0:0:0:0:0:0:1]:1", "[0000::0001]", "api.example.com", "api.EXAMPLE.com:443",
        "a.svc.example.org", "B-2.svc.example.org:9",
    ])
    func accepts(host: String) {
        #expect(Self.names.accepts(host: host), "\(host)")
    }

    @Test(arguments: [
        "", "evil.example", "evil.example:443", "localhost.", "localhost.evil.example", "evil-localhost",
        "::1", "[::1", "[::1]x", "[127.0.0.1]", "127.0.0.2", "127.0.0.01", "127.1", "localhost:abc",
        "localhost:1234567", "localhost:80:80", "localhost evil", "evil@localhost", "user@localhost:1",
        "a.b.svc.example.org", "svc.example.org", ".svc.example.org", "*.svc.example.org", "*", "api.example.com.",
        "[::2]", "[v1.fe]", "[fe80::1%25eth0]", "\u{212A}.svc.example.org", "localhost,evil.example",
        "api.example.com\u{0}", "l\u{0131}ocalhost",
    ])
    func refuses(host: String) {
        #expect(!Self.names.accepts(host: host), "\(host.debugDescription)")
    }

    @Test func loopbackAndAnyHost() {
        #expect(ServerNames.loopback.accepts(host: "localhost:8080"))
        #expect(ServerNames.loopback.accepts(host: "[::1]:8080"))
        #expect(ServerNames.loopback.accepts(host: "127.0.0.1"))
        #expect(!ServerNames.loopback.accepts(host: "anchorage.example.com"))
        #expect(!ServerNames.loopback.accepts(host: "127.0.0.2"))
        #expect(ServerNames.anyHost.accepts(host: "anything.example"))
        #expect(!ServerNames.anyHost.isEmpty)
        #expect(ServerNames(names: []).isEmpty)
        #expect(!ServerNames(names: []).accepts(host: "localhost"))
    }

    @Test func unionKeepsBothSets() {
        let both = ServerNames(names: ["a.example"]).union(ServerNames(names: ["10.0.0.1", "[2001:db8::1]"]))
        #expect(both.accepts(host: "a.example:1"))
        #expect(both.accepts(host: "10.0.0.1:2"))
        #expect(both.accepts(host: "[2001:DB8:0::1]:443"))
        #expect(!both.accepts(host: "b.example"))
    }

    @Test func validatesPublicHostNames() {
        for good in [
            "anchorage.example.com", "localhost", "10.1.2.3", "::1", "[2001:db8::1]", "*.svc.example.org",
            "under_score.example",
        ] {
            #expect(ServerNames.invalidName(good) == nil, "\(good)")
        }
        for bad in [
            "", "a..b", "-", "a.example:443", "https://a.example", "*.example", "*", "a.*.example",
            "caf\u{E9}.example", String(repeating: "a", count: 64) + ".example", "a example",
        ] {
            #expect(ServerNames.invalidName(bad) != nil, "\(bad.debugDescription)")
        }
    }
}
