import AnchorageCore
import AnchorageCrypto

/// Signs requests the way botocore does, for STS handler tests.
enum STSTestSigner {
    struct Credentials {
        var accessKeyId: String
        var secretAccessKey: String
        var sessionToken: String?
    }

    static let formBody = Array("Action=GetCallerIdentity&Version=2011-06-15".utf8)

    /// A header-signed `POST /` form request (botocore's shape for `sts get-caller-identity`).
    static func post(
        _ credentials: Credentials, at time: Int64, body: [UInt8] = formBody, region: String = "us-east-1",
        service: String = "sts", sourceAddress: String = "127.0.0.1", extraHeaders: [(name: String, value: String)] = []
    ) -> SignedRequest {
        let amzDate = AmzDate(secondsSinceEpoch: time)!.string
        var headers: [(name: String, value: String)] = [
            ("Host", "127.0.0.1:8443"), ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
            ("X-Amz-Date", amzDate),
        ]
        if let token = credentials.sessionToken { headers.append(("X-Amz-Security-Token", token)) }
        headers += extraHeaders
        let signedHeaders = headers.map { $0.name.lowercased() }.sorted()
        let scope = CredentialScope(date: String(amzDate.prefix(8)), region: region, service: service)
        let canonical = CanonicalRequest.make(
            method: "POST", rawPath: "/", rawQuery: nil, headers: headers, signedHeaders: signedHeaders,
            payloadHash: Digest.sha256Hex(body))
        let signature = sign(canonical, credentials: credentials, amzDate: amzDate, scope: scope)
        headers.append(
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope.string), "
                    + "SignedHeaders=\(signedHeaders.joined(separator: ";")), Signature=\(signature)"
            ))
        headers.append(("User-Agent", "aws-cli/1.45.11"))
        return SignedRequest(
            method: "POST", rawPath: "/", rawQuery: nil, headers: headers, body: body, sourceAddress: sourceAddress)
    }

    /// A presigned `GET /?Action=…` URL's request (botocore's `generate_presigned_url` shape).
    static func presignedGet(
        _ credentials: Credentials, at time: Int64, expires: Int = 900, action: String = "GetCallerIdentity",
        sourceAddress: String = "127.0.0.1"
    ) -> SignedRequest {
        let amzDate = AmzDate(secondsSinceEpoch: time)!.string
        let scope = CredentialScope(date: String(amzDate.prefix(8)), region: "us-east-1", service: "sts")
        func encode(_ text: String) -> String {
            var out = [UInt8]()
            for byte in text.utf8 {
                if (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                    || [0x2D, 0x2E, 0x5F, 0x7E].contains(byte)
                {
                    out.append(byte)
                } else {
                    out += Array(String(format: byte).utf8)
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
        var query =
            "Action=\(action)&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256"
            + "&X-Amz-Credential=\(encode(credentials.accessKeyId + "/" + scope.string))&X-Amz-Date=\(amzDate)"
            + "&X-Amz-Expires=\(expires)&X-Amz-SignedHeaders=host"
        if let token = credentials.sessionToken { query += "&X-Amz-Security-Token=\(encode(token))" }
        let headers: [(name: String, value: String)] = [("Host", "127.0.0.1:8443")]
        let canonical = CanonicalRequest.make(
            method: "GET", rawPath: "/", rawQuery: query, headers: headers, signedHeaders: ["host"],
            payloadHash: Digest.sha256Hex([UInt8]()))
        query += "&X-Amz-Signature=" + sign(canonical, credentials: credentials, amzDate: amzDate, scope: scope)
        return SignedRequest(
            method: "GET", rawPath: "/", rawQuery: query, headers: headers, body: [], sourceAddress: sourceAddress)
    }

    static func sign(_ canonical: String, credentials: Credentials, amzDate: String, scope: CredentialScope) -> String {
        HMACSigner.signature(
            canonicalRequest: canonical, secret: credentials.secretAccessKey, amzDate: amzDate, scope: scope)
    }
}

extension String {
    /// `%XX` for one byte, uppercase hex.
    fileprivate init(format byte: UInt8) {
        let digits = Array("0123456789ABCDEF".utf8)
        self = String(decoding: [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]], as: UTF8.self)
    }
}

/// A session sealed with a test keyring.
struct STSTestSession {
    static let issuedAt: Int64 = 1_795_575_845  // 2026-11-25T03:04:05Z
    static let roleArn = "arn:aws:iam::123456789012:role/web-reader"
    static let anchorArn =
        "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/4a1c52e0-7d6b-4b7e-9a55-0e6f4c3b9d21"
    static let profileArn = "arn:aws:rolesanywhere:us-east-1:123456789012:profile/8f0e2a3b-1c4d-4e5f-8a9b-0c1d2e3f4a5b"
    static let serialHex = "007a713c92516c21ade3a75f4321420b02"
    static let sha256 = String(repeating: "ab", count: 32)

    let keyring: TokenKeyring
    let claims: SessionClaims
    let credentials: STSTestSigner.Credentials

    init(
        keyring: TokenKeyring = TokenKeyring.generate(id: "k-test", random: SystemRandomSource()),
        duration: Int64 = 3600
    ) {
        self.keyring = keyring
        claims = SessionClaims(
            accessKeyId: "ASIAABCDEFGHIJKLMNOP", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            roleArn: Self.roleArn, roleSessionName: "web-1", sourceIdentity: "CN=web-1",
            principalTags: [
                PrincipalTag(key: "x509Subject/OU", value: "web"), PrincipalTag(key: "x509Subject/CN", value: "a<b&c"),
            ],
            trustAnchorArn: Self.anchorArn, profileArn: Self.profileArn, certificateSerialHex: Self.serialHex,
            certificateSHA256: Self.sha256, issuedAt: Self.issuedAt, expiresAt: Self.issuedAt + duration,
            sourceAddress: "127.0.0.1", certificateSubject: "CN=web-1,OU=web", certificateIssuer: "CN=Root")
        credentials = STSTestSigner.Credentials(
            accessKeyId: claims.accessKeyId, secretAccessKey: claims.secretAccessKey,
            sessionToken: SessionToken.seal(claims, keyring: keyring, random: SystemRandomSource()))
    }
}
