import AnchorageCore
import Testing

@Suite struct SigV4AuthorizationTests {
    static let signature = String(repeating: "0a", count: 32)

    @Test func parsesTheRealRolesAnywhereHeader() throws {
        let header = try #require(try RolesAnywhereTestVector().requests[0].headerValue("Authorization"))
        let parsed = try SigV4Authorization.parse(header)
        #expect(parsed.algorithm == "AWS4-X509-RSA-SHA256")
        #expect(parsed.credentialIdentifier == "580983474099637577150592529484182699812734654561")
        #expect(parsed.scope == CredentialScope(date: "20261125", region: "us-east-1", service: "rolesanywhere"))
        #expect(parsed.scope.string == "20261125/us-east-1/rolesanywhere/aws4_request")
        #expect(parsed.signedHeaders == ["content-type", "host", "x-amz-date", "x-amz-x509"])
        #expect(parsed.signedHeadersString == "content-type;host;x-amz-date;x-amz-x509")
        #expect(parsed.signature.hasPrefix("2941a2"))
        #expect(parsed.signature.count == 512)  // RSA-2048
        #expect(parsed.amzDate == nil && parsed.expires == nil && parsed.securityToken == nil)
    }

    @Test(arguments: [
        "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=\(signature)",
        "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/sts/aws4_request,SignedHeaders=host;x-amz-date,Signature=\(signature)",
        "AWS4-HMAC-SHA256  Credential=AKID/20150830/us-east-1/sts/aws4_request ,  SignedHeaders=host;x-amz-date ,Signature=\(signature) ",
        "AWS4-HMAC-SHA256 Signature=\(signature), SignedHeaders=host;x-amz-date, Credential=AKID/20150830/us-east-1/sts/aws4_request",
    ])
    func acceptsSeparatorsWithAndWithoutSpaces(_ header: String) throws {
        let parsed = try SigV4Authorization.parse(header)
        #expect(parsed.algorithm == "AWS4-HMAC-SHA256")
        #expect(parsed.credentialIdentifier == "AKID")
        #expect(parsed.scope == CredentialScope(date: "20150830", region: "us-east-1", service: "sts"))
        #expect(parsed.signedHeaders == ["host", "x-amz-date"])
        #expect(parsed.signature == Self.signature)
    }

    @Test func keepsANegativeFortyNineDigitSerialVerbatim() throws {
        let serial = "-" + String(repeating: "9", count: 49)
        let parsed = try SigV4Authorization.parse(
            "AWS4-X509-ECDSA-SHA256 Credential=\(serial)/20261125/us-east-1/rolesanywhere/aws4_request, SignedHeaders=host, Signature=3044"
        )
        #expect(parsed.credentialIdentifier == serial)
    }

    static let credential = "Credential=AKID/20150830/us-east-1/sts/aws4_request"

    @Test(arguments: [
        "",
        "   ",
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256 ",
        // missing fields
        "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=\(signature)",
        "AWS4-HMAC-SHA256 \(credential), Signature=\(signature)",
        "AWS4-HMAC-SHA256 \(credential), SignedHeaders=host",
        // duplicate and unknown fields, empty fields
        "AWS4-HMAC-SHA256 \(credential), \(credential), SignedHeaders=host, Signature=\(signature)",
        "AWS4-HMAC-SHA256 \(credential), SignedHeaders=host, SignedHeaders=host, Signature=\(signature)",
        "AWS4-HMAC-SHA256 \(credential), SignedHeaders=host, Signature=\(signature), Signature=\(signature)",
        "AWS4-HMAC-SHA256 \(credential), SignedHeaders=host, Signature=\(signature), Extra=1",
        "AWS4-HMAC-SHA256 \(credential), SignedHeaders=host, Signature=\(signature),",
        "AWS4-HMAC-SHA256 \(credential),, SignedHeaders=host, Signature=\(signature)",
        "AWS4-HMAC-SHA256 \(credential) SignedHeaders=host, Signature=\(signature)",
        "AWS4-HMAC-SHA256 credential=AKID/20150830/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=\(signature)",
        // scope shape
        "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/aws4_request, SignedHeaders=host, Signature=\(signature)",
        "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/sts/aws4_request/x, SignedHeaders=host, Signature=\(signature)",
        "AWS4-HMAC-SHA256 Credential=/20150830/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=\(signature)",
        "AWS4-HMAC-SHA256 Credential=AKID/20150830//sts/aws4_request, SignedHeaders=host, Signature=\(signature)",
        "AWS4-HMAC-SHA256 Credential=AKID/2015083/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=\(signature)",
        "AWS4-HMAC-SHA256 Credential=AKID/20150230/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=\(signature)",
        "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/sts/aws4_requests, SignedHeaders=host, Signature=\(signature)",
        // signed headers
        "AWS4-HMAC-SHA256 \(credential), SignedHeaders=, Signature=\(signature)",
        "AWS4-HMAC-SHA256 \(credential), SignedHeaders=x-amz-date;host, Signature=\(signature)",
        "AWS4-HMAC-SHA256 \(credential), SignedHeaders=Host;x-amz-date, Signature=\(signature)",
        "AWS4-HMAC-SHA256 \(credential), SignedHeaders=host;host, Signature=\(signature)",
        "AWS4-HMAC-SHA256 \(credential), SignedHeaders=host;;x-amz-date, Signature=\(signature)",
        "AWS4-HMAC-SHA256 \(credential), SignedHeaders=host;, Signature=\(signature)",
        "AWS4-HMAC-SHA256 \(credential), SignedHeaders=host x, Signature=\(signature)",
        // signature
        "AWS4-HMAC-SHA256 \(credential), SignedHeaders=host, Signature=",
        "AWS4-HMAC-SHA256 \(credential), SignedHeaders=host, Signature=abc",
        "AWS4-HMAC-SHA256 \(credential), SignedHeaders=host, Signature=\(signature.uppercased())",
        "AWS4-HMAC-SHA256 \(credential), SignedHeaders=host, Signature=zz\(signature)",
        // algorithm
        "AWS4(HMAC) \(credential), SignedHeaders=host, Signature=\(signature)",
    ])
    func rejectsMalformedHeaders(_ header: String) {
        #expect(throws: SigV4ParseError.self) { try SigV4Authorization.parse(header) }
    }

    @Test func errorsSayWhatIsWrong() {
        do {
            _ = try SigV4Authorization.parse(
                "AWS4-HMAC-SHA256 \(Self.credential), \(Self.credential), SignedHeaders=host, Signature=00")
            Issue.record("parsed a duplicate Credential")
        } catch {
            #expect(error.message == "duplicate Credential field")
        }
    }

    @Test func errorExcerptsSurviveMultiByteInput() {
        let header = "AWS4-HMAC-SHA256 " + String(repeating: "é", count: 30)
        #expect(throws: SigV4ParseError.self) { try SigV4Authorization.parse(header) }
    }

    // MARK: - Presigned

    static let presignedQuery =
        "Action=GetCallerIdentity&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAEXAMPLE%2F20150830%2Fus-east-1%2Fsts%2Faws4_request"
        + "&X-Amz-Date=20150830T123600Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id"
        + "&X-Amz-Security-Token=IQoJb3%2Bx%2F%3D&X-Amz-Signature=\(signature)"

    @Test func parsesPresignedQuery() throws {
        let parsed = try SigV4Authorization.parsePresigned(rawQuery: Self.presignedQuery)
        #expect(parsed.algorithm == "AWS4-HMAC-SHA256")
        #expect(parsed.credentialIdentifier == "ASIAEXAMPLE")
        #expect(parsed.scope == CredentialScope(date: "20150830", region: "us-east-1", service: "sts"))
        #expect(parsed.amzDate?.string == "20150830T123600Z")
        #expect(parsed.expires == 900)
        #expect(parsed.signedHeaders == ["host", "x-k8s-aws-id"])
        #expect(parsed.securityToken == "IQoJb3+x/=")
        #expect(parsed.signature == Self.signature)
    }

    @Test(arguments: [
        ("X-Amz-Algorithm=AWS4-HMAC-SHA256&", ""),
        ("X-Amz-Expires=900", "X-Amz-Expires=0"),
        ("X-Amz-Expires=900", "X-Amz-Expires=604801"),
        ("X-Amz-Expires=900", "X-Amz-Expires=-1"),
        ("X-Amz-Expires=900", "X-Amz-Expires=99999999999999999999"),
        ("X-Amz-Date=20150830T123600Z", "X-Amz-Date=20150830T123600z"),
        ("X-Amz-Date=20150830T123600Z&", ""),
        ("X-Amz-Signature=", "X-Amz-Signature=00&X-Amz-Signature="),
        ("X-Amz-SignedHeaders=host%3Bx-k8s-aws-id", "X-Amz-SignedHeaders=x-k8s-aws-id%3Bhost"),
        ("X-Amz-Credential=ASIAEXAMPLE%2F", "X-Amz-Credential=ASIA%2FEXAMPLE%2F"),
        ("X-Amz-Security-Token=IQoJb3%2Bx%2F%3D", "X-Amz-Security-Token="),
    ])
    func rejectsMalformedPresignedQuery(_ edit: (String, String)) {
        let query = Self.presignedQuery.replacingOccurrences(of: edit.0, with: edit.1)
        #expect(query != Self.presignedQuery)
        #expect(throws: SigV4ParseError.self) { try SigV4Authorization.parsePresigned(rawQuery: query) }
    }
}
