import AnchorageCore
import AnchorageCrypto
import Testing

/// Canonical requests of real `AWS4-X509-RSA-SHA256` CreateSession requests (Python client 3.0.0).
@Suite struct SigV4RolesAnywhereVectorTests {
    static let stringToSignPrefix =
        "AWS4-X509-RSA-SHA256\n20261125T030405Z\n20261125/us-east-1/rolesanywhere/aws4_request\n"

    // Recorded from an independent Python computation over the same captures; a change means the
    // bytes we would verify a signature over changed.
    static let canonicalRequestHashes = [
        "ec7be0dfd62089254fd041a77e231c5ff462c8a49cd9255104bbef3e3256a453",
        "f818a3aa04b52e35919a492175200ca56af0d09db9201c34946947adc3950f95",
    ]

    @Test(arguments: [0, 1])
    func canonicalRequestAndStringToSign(_ index: Int) throws {
        let request = try RolesAnywhereTestVector().requests[index]
        let authorization = try SigV4Authorization.parse(try #require(request.headerValue("Authorization")))
        #expect(authorization.algorithm == "AWS4-X509-RSA-SHA256")
        #expect(authorization.credentialIdentifier == "580983474099637577150592529484182699812734654561")
        let amzDate = try #require(request.headerValue("X-Amz-Date"))
        let (canonicalRequest, stringToSign) = X509RequestSigner.canonicalRequestAndStringToSign(
            method: request.method,
            rawPath: request.path,
            rawQuery: nil,
            headers: request.headers,
            signedHeaders: authorization.signedHeaders,
            body: request.body,
            algorithm: authorization.algorithm,
            amzDate: amzDate,
            scope: authorization.scope
        )
        #expect(stringToSign.hasPrefix(Self.stringToSignPrefix))
        #expect(Digest.sha256Hex(canonicalRequest) == Self.canonicalRequestHashes[index])
        #expect(stringToSign == Self.stringToSignPrefix + Self.canonicalRequestHashes[index])
    }

    @Test func firstRequestCanonicalFormLineByLine() throws {
        let request = try RolesAnywhereTestVector().requests[0]
        let authorization = try SigV4Authorization.parse(try #require(request.headerValue("Authorization")))
        #expect(authorization.signedHeaders == ["content-type", "host", "x-amz-date", "x-amz-x509"])
        let (canonicalRequest, _) = X509RequestSigner.canonicalRequestAndStringToSign(
            method: request.method, rawPath: request.path, rawQuery: nil, headers: request.headers,
            signedHeaders: authorization.signedHeaders, body: request.body, algorithm: authorization.algorithm,
            amzDate: try #require(request.headerValue("X-Amz-Date")), scope: authorization.scope)
        let expectedLines = [
            "POST",
            "/sessions",
            "",
            "content-type:application/x-amz-json-1.0",
            "host:127.0.0.1:18443",
            "x-amz-date:20261125T030405Z",
            "x-amz-x509:" + (try #require(request.headerValue("X-Amz-X509"))),
            "",
            "content-type;host;x-amz-date;x-amz-x509",
            Digest.sha256Hex(request.body),
        ]
        #expect(
            canonicalRequest.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) == expectedLines)
        // Unsigned headers the client also sent must not leak in.
        #expect(!canonicalRequest.contains("user-agent"))
        #expect(!canonicalRequest.contains("content-length"))
    }
}
