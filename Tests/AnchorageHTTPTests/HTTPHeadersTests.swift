import Testing

@testable import AnchorageHTTP

@Suite struct HTTPHeadersTests {
    @Test func caseInsensitiveLookupKeepsOrderAndDuplicates() {
        var headers = HTTPHeaders([(name: "X-A", value: "1"), (name: "x-a", value: "2"), (name: "B", value: "3")])
        #expect(headers["x-A"] == "1")
        #expect(headers.values(for: "X-a") == ["1", "2"])
        headers.replaceOrAdd(name: "X-A", value: "9")
        #expect(headers.fields.map(\.value) == ["9", "3"])
        headers.replaceOrAdd(name: "C", value: "4")
        #expect(headers.fields.map(\.name) == ["X-A", "B", "C"])
        #expect(headers["missing"] == nil)
    }

    @Test(arguments: [
        ("Content-Length", "content-length", true), ("HOST", "host", true), ("x-amz-date", "X-Amz-Date", true),
        ("Host", "Hosts", false), ("Host", "Hast", false), ("", "", true), ("a", "", false), ("é", "É", false),
        ("X-A", "X-@", false), ("[", "{", false),
    ])
    func namesCompareByASCIIFoldingOnly(_ a: String, _ b: String, _ equal: Bool) {
        #expect(HTTPHeaders.namesEqual(a, b) == equal)
        #expect(HTTPHeaders.namesEqual(b, a) == equal)
    }

    @Test func requestSplitsTargetWithoutDecoding() {
        let request = HTTPRequest(
            method: "POST", target: "/sessions?profileArn=arn%3Aaws%3Fx?y", version: "HTTP/1.1",
            headers: HTTPHeaders(), body: [], remoteAddress: "127.0.0.1")
        #expect(request.path == "/sessions")
        #expect(request.query == "profileArn=arn%3Aaws%3Fx?y")
        let bare = HTTPRequest(
            method: "GET", target: "/a%20b", version: "HTTP/1.1", headers: HTTPHeaders(), body: [], remoteAddress: "")
        #expect(bare.path == "/a%20b")
        #expect(bare.query == nil)
    }

    /// A request lowercases its header names once, keeps them in step when its headers change, and looks
    /// values up by them.
    @Test func requestIndexesLowercaseNamesOnce() {
        var request = HTTPRequest(
            method: "GET", target: "/",
            headers: HTTPHeaders([(name: "Connection", value: "close"), (name: "X-A", value: "1")]))
        #expect(request.lowercaseHeaderNames == ["connection", "x-a"])
        #expect(request.headerValues(lowercaseName: "connection") == ["close"])
        request.headers.add(name: "CONNECTION", value: "keep-alive")
        #expect(request.lowercaseHeaderNames == ["connection", "x-a", "connection"])
        #expect(request.headerValues(lowercaseName: "connection") == ["close", "keep-alive"])
        #expect(request.headerValues(lowercaseName: "Connection").isEmpty, "lookups take lowercase names")
    }
}
