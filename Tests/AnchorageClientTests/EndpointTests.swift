import Testing

@testable import AnchorageClient

@Suite("Endpoint and proxy settings")
struct EndpointTests {
    @Test("endpoints parse like Go's URL: explicit ports go into Host, default ports do not")
    func endpointParsing() throws {
        let a = try Endpoint(parsing: "https://127.0.0.1:8443")
        #expect(a.isTLS && a.host == "127.0.0.1" && a.port == 8443 && a.hostHeader == "127.0.0.1:8443")
        let b = try Endpoint(parsing: "rolesanywhere.us-east-1.amazonaws.com")
        #expect(b.isTLS && b.port == 443 && b.hostHeader == "rolesanywhere.us-east-1.amazonaws.com")
        let c = try Endpoint(parsing: "http://[::1]:8080/prefix/")
        #expect(!c.isTLS && c.host == "::1" && c.hostHeader == "[::1]:8080" && c.basePath == "/prefix")
        #expect(Endpoint.aws(region: "eu-west-1").hostHeader == "rolesanywhere.eu-west-1.amazonaws.com")
        #expect(throws: HelperError.self) { try Endpoint(parsing: "ftp://x") }
        #expect(throws: HelperError.self) { try Endpoint(parsing: "https://host:99999") }
    }

    @Test("HTTPS_PROXY is used for https endpoints unless NO_PROXY names the host")
    func proxyFromEnvironment() throws {
        let endpoint = try Endpoint(parsing: "https://ra.example.com:8443")
        let proxy = try #require(
            try ProxySettings.from(environment: ["HTTPS_PROXY": "http://u:p@proxy:3128"], for: endpoint))
        #expect(proxy == ProxySettings(host: "proxy", port: 3128, userInfo: "u:p"))
        #expect(try ProxySettings.from(environment: ["https_proxy": "proxy:8080"], for: endpoint)?.port == 8080)
        #expect(try ProxySettings.from(environment: ["HTTP_PROXY": "proxy:8080"], for: endpoint) == nil)
        for noProxy in ["example.com", ".example.com", "ra.example.com:8443", "*", "other, ra.example.com"] {
            #expect(
                try ProxySettings.from(environment: ["HTTPS_PROXY": "proxy:1", "NO_PROXY": noProxy], for: endpoint)
                    == nil,
                "NO_PROXY=\(noProxy)")
        }
        for noProxy in ["xample.com", "ra.example.com:443", "example.org"] {
            #expect(
                try ProxySettings.from(environment: ["HTTPS_PROXY": "proxy:1", "no_proxy": noProxy], for: endpoint)
                    != nil,
                "NO_PROXY=\(noProxy)")
        }
        #expect(ProxySettings.bypasses(noProxy: "10.0.0.0/8", host: "10.1.2.3", port: 443))
        #expect(!ProxySettings.bypasses(noProxy: "10.0.0.0/8", host: "11.1.2.3", port: 443))
    }

    @Test("flags parse as cobra's: --name value, --name=value, booleans")
    func flags() throws {
        let options = try CommandLineOptions(
            ["--certificate", "c.pem", "--region=eu-west-1", "--debug", "--no-verify-ssl=false"],
            valueFlags: ["certificate", "region"], boolFlags: ["debug", "no-verify-ssl"])
        #expect(options["certificate"] == "c.pem" && options["region"] == "eu-west-1")
        #expect(options.has("debug") && !options.has("no-verify-ssl"))
        #expect(throws: HelperError.usage("unknown flag --nope")) {
            try CommandLineOptions(["--nope"], valueFlags: [], boolFlags: [])
        }
        #expect(throws: HelperError.usage("--certificate needs a value")) {
            try CommandLineOptions(["--certificate"], valueFlags: ["certificate"], boolFlags: [])
        }
    }
}
