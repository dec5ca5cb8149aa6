public import AnchorageCore
import AnchorageCrypto

/// What one CreateSession asks for.
public struct CreateSessionParameters: Sendable, Equatable {
    public var trustAnchorArn: String
    public var profileArn: String
    public var roleArn: String
    /// `--session-duration`, 900–43200 (default 3600).
    public var durationSeconds: Int
    public var roleSessionName: String?
    /// The signing region (`--region`, else the trust anchor ARN's).
    public var region: String

    public init(
        trustAnchorArn: String, profileArn: String, roleArn: String, durationSeconds: Int = 3600,
        roleSessionName: String? = nil, region: String
    ) {
        self.trustAnchorArn = trustAnchorArn
        self.profileArn = profileArn
        self.roleArn = roleArn
        self.durationSeconds = durationSeconds
        self.roleSessionName = roleSessionName
        self.region = region
    }
}

/// A CreateSession request signed the way the official Go helper signs it: the three ARNs in the
/// query string, `{"durationSeconds":N[,"roleSessionName":"…"]}` as `application/json`, signed headers
/// `content-type;host;x-amz-date;x-amz-x509[;x-amz-x509-chain]`, the serial in decimal, ECDSA DER.
public struct SignedCreateSessionRequest: Sendable {
    public let method = "POST"
    /// Path and query, e.g. `/sessions?profileArn=…&roleArn=…&trustAnchorArn=…`.
    public let target: String
    /// Every header to send, `Host` first; `Content-Length` is left to the transport.
    public let headers: [(name: String, value: String)]
    public let body: [UInt8]
    public let canonicalRequest: String
    public let stringToSign: String

    static let signedHeaderNames = ["content-type", "host", "x-amz-date", "x-amz-x509", "x-amz-x509-chain"]

    /// Signs a request for `parameters` with `identity` at `date`.
    public init(
        parameters: CreateSessionParameters, identity: SigningIdentity, endpoint: Endpoint, date: AmzDate,
        userAgent: String
    ) throws(HelperError) {
        let path = endpoint.basePath + "/sessions"
        let query = [
            ("profileArn", parameters.profileArn),
            ("roleArn", parameters.roleArn),
            ("trustAnchorArn", parameters.trustAnchorArn),
        ].map { "\($0.0)=\(Self.percentEncode($0.1))" }.joined(separator: "&")
        var bodyText = "{\"durationSeconds\":\(parameters.durationSeconds)"
        if let name = parameters.roleSessionName {
            bodyText += ",\"roleSessionName\":\(JSONWriter.quoted(name))"
        }
        bodyText += "}"
        body = Array(bodyText.utf8)

        var headers: [(name: String, value: String)] = [
            ("Host", endpoint.hostHeader),
            ("Content-Type", "application/json"),
            ("X-Amz-Date", date.string),
            ("X-Amz-X509", Base64.encode(identity.certificate.derBytes)),
        ]
        if !identity.chain.isEmpty {
            headers.append(
                ("X-Amz-X509-Chain", identity.chain.map { Base64.encode($0.derBytes) }.joined(separator: ",")))
        }
        let signed = Self.signedHeaderNames.filter { name in headers.contains { $0.name.lowercased() == name } }
        let scope = CredentialScope(date: date.datePart, region: parameters.region, service: "rolesanywhere")
        let algorithm = identity.algorithm
        (canonicalRequest, stringToSign) = X509RequestSigner.canonicalRequestAndStringToSign(
            method: "POST", rawPath: path, rawQuery: query, headers: headers, signedHeaders: signed, body: body,
            algorithm: algorithm, amzDate: date.string, scope: scope)
        let signature = try identity.signingKey.signature(of: Array(stringToSign.utf8), digestName: "SHA256")
        let credential = "\(identity.certificate.serialNumberDecimal)/\(scope.string)"
        headers.append(
            (
                "Authorization",
                "\(algorithm) Credential=\(credential), SignedHeaders=\(signed.joined(separator: ";")), Signature=\(Hex.encode(signature))"
            ))
        headers.append(("User-Agent", userAgent))
        self.headers = headers
        target = "\(path)?\(query)"
    }

    /// RFC 3986 percent-encoding: everything but `A-Z a-z 0-9 - _ . ~`, uppercase hex.
    static func percentEncode(_ value: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.append(byte)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 15)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
