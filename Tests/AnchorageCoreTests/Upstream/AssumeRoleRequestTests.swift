import AnchorageCore
import Testing

/// The `AssumeRole` Anchorage sends: form body and SigV4 signature.
@Suite("Upstream: AssumeRole request")
struct AssumeRoleRequestTests {
    static let parameters = AssumeRoleParameters(
        roleArn: "arn:aws:iam::123456789012:role/web-reader", roleSessionName: "build-42", durationSeconds: 1800,
        sourceIdentity: "CN=leaf", tags: [PrincipalTag(key: "x509Subject/OU", value: "web ops")],
        policy: #"{"Version":"2012-10-17"}"#, policyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"])
    static let credentials = UpstreamCredentials(
        accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    /// 2015-08-30T12:36:00Z, the date of AWS's SigV4 test suite.
    static let now: Int64 = 1_440_938_160

    @Test("every parameter, in order, percent-encoded outside SigV4's unreserved set")
    func formBody() {
        #expect(
            String(decoding: Self.parameters.formBody, as: UTF8.self)
                == "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fweb-reader"
                + "&RoleSessionName=build-42&DurationSeconds=1800&SourceIdentity=CN%3Dleaf"
                + "&Tags.member.1.Key=x509Subject%2FOU&Tags.member.1.Value=web%20ops"
                + "&Policy=%7B%22Version%22%3A%222012-10-17%22%7D"
                + "&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess")
    }

    @Test("absent optional parameters are not sent")
    func optionalParametersOmitted() {
        let bare = AssumeRoleParameters(
            roleArn: "arn:aws:iam::123456789012:role/r", roleSessionName: "s1", durationSeconds: 900,
            sourceIdentity: nil, tags: [], policy: nil, policyArns: [])
        #expect(
            bare.formParameters.map(\.name) == ["Action", "Version", "RoleArn", "RoleSessionName", "DurationSeconds"])
    }

    /// The expected signatures were computed independently by botocore's `SigV4Auth` (1.43) over the same body and
    /// headers (`Tests/Scripts/sts_upstream.py` does the same check on live requests).
    @Test(
        "the signature is botocore's for the same request",
        arguments: [
            (nil, "5fa53b28e5651f1231f24aaa278ba6c23d5261b8becdb1f62895d0fc2852aeff"),
            ("FQoGZXIvYXdzEXAMPLETOKEN", "3fa6f1a69abc7833026f48b799c0d28dcc228751f4d3bed3d2d10e135bf1118b"),
        ] as [(String?, String)])
    func signatureMatchesBotocore(token: String?, signature: String) throws {
        var credentials = Self.credentials
        credentials.sessionToken = token
        let endpoint = try UpstreamEndpoint("https://sts.us-east-1.amazonaws.com")
        let request = AssumeRoleRequest(
            Self.parameters, endpoint: endpoint, region: "us-east-1", credentials: credentials, now: Self.now)
        let headers = Dictionary(uniqueKeysWithValues: request.headers.map { ($0.name.lowercased(), $0.value) })
        let signed = token == nil ? "content-type;host;x-amz-date" : "content-type;host;x-amz-date;x-amz-security-token"
        #expect(
            headers["authorization"]
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request, "
                + "SignedHeaders=\(signed), Signature=\(signature)")
        #expect(headers["host"] == "sts.us-east-1.amazonaws.com")
        #expect(headers["x-amz-date"] == "20150830T123600Z")
        #expect(headers["x-amz-security-token"] == token)
        #expect(request.method == "POST" && request.path == "/")
        #expect(request.body == Self.parameters.formBody)
    }

    @Test("the Host header carries a non-default port, bracketed IPv6, and the endpoint's path")
    func hostAndPath() throws {
        let endpoint = try UpstreamEndpoint("http://[::1]:9000/sts")
        let request = AssumeRoleRequest(
            Self.parameters, endpoint: endpoint, region: "us-east-1", credentials: Self.credentials, now: Self.now)
        #expect(request.headers.first { $0.name == "Host" }?.value == "[::1]:9000")
        #expect(request.path == "/sts")
    }
}

@Suite("Upstream: endpoints")
struct UpstreamEndpointTests {
    @Test(
        "accepted endpoints",
        arguments: [
            ("https://sts.amazonaws.com", true, "sts.amazonaws.com", 443, "/"),
            ("https://minio.corp:9000/", true, "minio.corp", 9000, "/"),
            ("http://127.0.0.1:8080", false, "127.0.0.1", 8080, "/"),
            ("http://127.1.2.3/sts", false, "127.1.2.3", 80, "/sts"),
            ("http://localhost:5000", false, "localhost", 5000, "/"),
            ("http://[::1]:5000", false, "::1", 5000, "/"),
        ] as [(String, Bool, String, Int, String)])
    func accepted(text: String, tls: Bool, host: String, port: Int, path: String) throws {
        let endpoint = try UpstreamEndpoint(text)
        #expect(endpoint.tls == tls && endpoint.host == host && endpoint.port == port && endpoint.path == path)
    }

    @Test(
        "refused endpoints: plain HTTP off loopback, other schemes, junk",
        arguments: [
            "http://sts.amazonaws.com", "http://10.0.0.1:9000", "http://128.0.0.1", "http://127.0.0.1.evil.com",
            "http://localhost.evil.com", "http://[::2]:80", "ftp://sts", "sts.amazonaws.com", "https://",
            "https://user@sts.amazonaws.com", "https://sts.amazonaws.com?x=1", "https://sts:0", "https://sts:70000",
            "https://st s", "http://127.0.0.256",
        ])
    func refused(text: String) {
        #expect(throws: UpstreamEndpoint.Invalid.self) { try UpstreamEndpoint(text) }
    }
}
