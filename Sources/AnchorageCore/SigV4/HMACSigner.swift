import AnchorageCrypto

/// The `AWS4-HMAC-SHA256` key derivation and signature, for verifying requests made with
/// issued session credentials.
public enum HMACSigner {
    /// The algorithm name in the `Authorization` header and the string to sign.
    public static let algorithm = "AWS4-HMAC-SHA256"

    /// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
    ///
    /// The key depends only on the secret and the scope, so a verifier may cache it per day.
    public static func signingKey(secret: String, date: String, region: String, service: String) -> [UInt8] {
        let dateKey = HMAC.sha256(key: Array("AWS4\(secret)".utf8), message: Array(date.utf8))
        let regionKey = HMAC.sha256(key: dateKey, message: Array(region.utf8))
        let serviceKey = HMAC.sha256(key: regionKey, message: Array(service.utf8))
        return HMAC.sha256(key: serviceKey, message: Array(CredentialScope.sigV4Terminator.utf8))
    }

    /// Lowercase hex HMAC-SHA256 of `stringToSign` under `signingKey`.
    ///
    /// Compare it with the received signature using `ConstantTime.equals` on the bytes, never `==`.
    public static func signature(signingKey: [UInt8], stringToSign: String) -> String {
        Hex.encode(HMAC.sha256(key: signingKey, message: Array(stringToSign.utf8)))
    }

    /// The signature of `canonicalRequest` at `amzDate` in `scope`, under `secret`'s key for that scope: what a client
    /// puts in `Authorization` or `X-Amz-Signature`.
    public static func signature(canonicalRequest: String, secret: String, amzDate: String, scope: CredentialScope)
        -> String
    {
        let stringToSign = StringToSign.make(
            algorithm: algorithm, amzDate: amzDate, scope: scope, canonicalRequest: canonicalRequest)
        let key = signingKey(secret: secret, date: scope.date, region: scope.region, service: scope.service)
        return signature(signingKey: key, stringToSign: stringToSign)
    }

    /// The `Authorization` header value of a request signed as clients sign it: the canonical request of `method`,
    /// `path`, `query`, the `headers` named in `signedHeaders` (lowercase, sorted) and `body`, its string to sign at
    /// `amzDate` in `scope`, and the signature under `secret`'s key for that scope.
    public static func authorization(
        method: String, path: String, query: String?, headers: [(name: String, value: String)],
        signedHeaders: [String], body: [UInt8], accessKeyId: String, secret: String, amzDate: String,
        scope: CredentialScope
    ) -> String {
        let canonicalRequest = CanonicalRequest.make(
            method: method, rawPath: path, rawQuery: query, headers: headers, signedHeaders: signedHeaders,
            payloadHash: Digest.sha256Hex(body))
        return "\(algorithm) Credential=\(accessKeyId)/\(scope.string), "
            + "SignedHeaders=\(signedHeaders.joined(separator: ";")), "
            + "Signature=\(signature(canonicalRequest: canonicalRequest, secret: secret, amzDate: amzDate, scope: scope))"
    }
}
