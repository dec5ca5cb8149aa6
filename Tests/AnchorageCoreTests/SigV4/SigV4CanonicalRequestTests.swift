import AnchorageCore
import Testing

/// Canonicalisation rules the AWS suite does not exercise (it has no `%` in paths or `+` in queries).
@Suite struct SigV4CanonicalRequestTests {
    @Test(arguments: [
        ("/", true, "/"),
        ("", true, "/"),
        ("", false, "/"),
        ("/a%20b/c", true, "/a%2520b/c"),  // already encoded: encoded again
        ("/a/%2E%2E/b", true, "/a/%252E%252E/b"),  // only literal dots are dot segments
        ("/a/b/../../..", true, "/"),
        ("/a/./b/", true, "/a/b/"),
        ("/a//b", false, "/a//b"),
        ("/~user/x+y=z:@!", true, "/~user/x%2By%3Dz%3A%40%21"),
        ("/sessions", true, "/sessions"),
    ])
    func canonicalURI(_ rawPath: String, _ normalize: Bool, _ expected: String) {
        #expect(CanonicalRequest.canonicalURI(rawPath: rawPath, normalize: normalize) == expected)
    }

    @Test(
        arguments: [
            (nil, ""),
            ("", ""),
            ("b=2&a=1", "a=1&b=2"),
            ("a=2&a=10&a=1", "a=1&a=10&a=2"),  // by value when names tie, as bytes
            ("a", "a="),
            ("a=&b", "a=&b="),
            ("a&&b", "a=&b="),
            ("=x", "=x"),
            ("a=b=c", "a=b%3Dc"),
            ("a=b+c", "a=b%2Bc"),
            ("a=b%20c", "a=b%20c"),
            ("a=b%2fc%2F", "a=b%2Fc%2F"),  // hex case normalised by decode/encode
            ("a=%zz%4", "a=%25zz%254"),  // broken escapes stay literal
            ("a=%FF%FE", "a=%FF%FE"),  // not UTF-8, still byte-exact
            (
                "profileArn=arn%3Aaws%3Arolesanywhere%3Aus-east-1%3A1%3Aprofile%2Fp",
                "profileArn=arn%3Aaws%3Arolesanywhere%3Aus-east-1%3A1%3Aprofile%2Fp"
            ),
            ("B=1&a=1&_=1&~=1", "B=1&_=1&a=1&~=1"),
        ] as [(String?, String)])
    func canonicalQuery(_ rawQuery: String?, _ expected: String) {
        #expect(CanonicalRequest.canonicalQueryString(rawQuery: rawQuery) == expected)
    }

    @Test func excludesDecodedParameterNames() {
        #expect(
            CanonicalRequest.canonicalQueryString(
                rawQuery: "X-Amz-Signature=00&a=1&X%2DAmz%2DSignature=11", excluding: ["X-Amz-Signature"])
                == "a=1")
    }

    @Test(arguments: [
        ("  a  ", "a"),
        ("a \t b", "a b"),
        ("value1\r\n  value2\n\tvalue3", "value1 value2 value3"),
        ("\"a   b\"", "\"a b\""),
        ("", ""),
        (" \t ", ""),
        ("ünï  cödé", "ünï cödé"),
    ])
    func canonicalHeaderValue(_ value: String, _ expected: String) {
        #expect(CanonicalRequest.canonicalHeaderValue(value) == expected)
    }

    @Test func headersMatchNamesCaseInsensitivelyAndKeepValueOrder() {
        let headers: [(name: String, value: String)] = [
            ("X-B", "2"), ("host", "h"), ("x-b", " 1 "), ("X-A", "a"), ("X-Unsigned", "u"),
        ]
        #expect(
            CanonicalRequest.canonicalHeaders(headers, signedHeaders: ["host", "x-a", "x-b"])
                == "host:h\nx-a:a\nx-b:2,1\n")
        // A signed header that never arrived still occupies its line, so the signature cannot match.
        #expect(
            CanonicalRequest.canonicalHeaders(headers, signedHeaders: ["host", "x-missing"]) == "host:h\nx-missing:\n")
    }
}
