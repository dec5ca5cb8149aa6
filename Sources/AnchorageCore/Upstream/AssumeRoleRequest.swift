import AnchorageCrypto

/// An `AssumeRole` call, signed with SigV4 (`AWS4-HMAC-SHA256`, service `sts`) and ready to send.
///
/// Built from the same canonical-request and string-to-sign code that verifies incoming requests
/// (``CanonicalRequest``, ``StringToSign``, ``HMACSigner``), so what Anchorage signs is exactly what it would
/// accept.
public struct AssumeRoleRequest: Sendable {
    public var method: String
    /// The endpoint's path.
    public var path: String
    /// `Host`, `Content-Type`, `X-Amz-Date`, `X-Amz-Security-Token` (with temporary keys) and `Authorization`.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    /// The SigV4 service name of STS.
    public static let service = "sts"
    public static let contentType = "application/x-www-form-urlencoded; charset=utf-8"

    /// Signs `parameters` for `endpoint` in `region` with `credentials` at `now` (seconds since the epoch).
    public init(
        _ parameters: AssumeRoleParameters, endpoint: UpstreamEndpoint, region: String,
        credentials: UpstreamCredentials, now: Int64
    ) {
        method = "POST"
        path = endpoint.path
        body = parameters.formBody
        let amzDate = AmzDate(secondsSinceEpoch: now) ?? AmzDate(secondsSinceEpoch: 0)!
        let scope = CredentialScope(date: amzDate.datePart, region: region, service: Self.service)
        var unsigned: [(name: String, value: String)] = [
            ("content-type", Self.contentType), ("host", endpoint.hostHeader), ("x-amz-date", amzDate.string),
        ]
        if let token = credentials.sessionToken { unsigned.append(("x-amz-security-token", token)) }
        let signedHeaders = unsigned.map(\.name)  // already in sorted order
        let authorization = HMACSigner.authorization(
            method: method, path: path, query: nil, headers: unsigned, signedHeaders: signedHeaders, body: body,
            accessKeyId: credentials.accessKeyId, secret: credentials.secretAccessKey, amzDate: amzDate.string,
            scope: scope)
        headers = [
            ("Host", endpoint.hostHeader), ("Content-Type", Self.contentType), ("X-Amz-Date", amzDate.string),
        ]
        if let token = credentials.sessionToken { headers.append(("X-Amz-Security-Token", token)) }
        headers.append(("Accept", "text/xml"))
        headers.append(("Authorization", authorization))
    }
}
