import Testing

@testable import AnchorageCore

@Suite struct HeaderIndexTests {
    static let fields: [(name: String, value: String)] = [
        ("Host", "example.com"), ("X-Amz-Date", " 20261125T000000Z\t"), ("x-amz-x509-chain", "A "),
        ("X-AMZ-X509-CHAIN", " B"), ("Empty", ""),
    ]

    @Test func namesAreLowercasedOnceAndLookupsUseThem() {
        let index = HeaderIndex(Self.fields)
        #expect(index.lowercaseNames == ["host", "x-amz-date", "x-amz-x509-chain", "x-amz-x509-chain", "empty"])
        #expect(index.contains("x-amz-date"))
        #expect(!index.contains("X-Amz-Date"), "lookups take lowercase names")
        #expect(!index.contains("authorization"))
    }

    /// Values as received from `values`; trimmed of spaces and tabs and joined with `,` from `value`.
    @Test func valuesAreKeptAndValueTrimsAndJoins() {
        let index = HeaderIndex(Self.fields)
        #expect(index.values("x-amz-x509-chain") == ["A ", " B"])
        #expect(index.value("x-amz-x509-chain") == "A,B")
        #expect(index.value("x-amz-date") == "20261125T000000Z")
        #expect(index.value("empty") == "")
        #expect(index.value("authorization") == nil)
        #expect(index.values("authorization").isEmpty)
    }

    /// The names a caller already lowercased (the HTTP request's) are used as given.
    @Test func givenLowercaseNamesAreUsed() {
        let index = HeaderIndex([("Host", "h")], lowercaseNames: ["host"])
        #expect(index.value("host") == "h")
    }

    /// `SignedRequest` keeps its index in step with its fields, and its lookups fold ASCII case only.
    @Test func signedRequestLookupsFollowItsFields() {
        var request = SignedRequest(
            method: "POST", rawPath: "/", rawQuery: nil, headers: Self.fields, body: [], sourceAddress: "")
        #expect(request.header("X-Amz-Date") == "20261125T000000Z")
        #expect(request.headerValues("x-amz-x509-CHAIN") == ["A ", " B"])
        request.headers = [("Authorization", "a"), ("Keep", "1")]
        #expect(request.header("authorization") == "a")
        #expect(request.header("host") == nil)
        #expect(request.headerIndex.lowercaseNames == ["authorization", "keep"])
        #expect(request.header("KEEP") == "1")
        // KELVIN SIGN lowercases to `k` under Unicode rules; header names fold ASCII only.
        #expect(request.header("\u{212A}eep") == nil)
    }
}
