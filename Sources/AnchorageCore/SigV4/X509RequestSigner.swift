import AnchorageCrypto

/// The signing input of a Roles Anywhere (`AWS4-X509-*`) request, shared by the server that
/// verifies it and a client that signs it, so both sides hash exactly the same bytes.
///
/// The asymmetric signature itself is someone else's job: this type only produces the text.
public enum X509RequestSigner {
    /// The canonical request and string to sign for a request whose payload hash is the SHA-256
    /// of `body` (Roles Anywhere clients send no `X-Amz-Content-Sha256`).
    ///
    /// - Parameters:
    ///   - amzDate: the `X-Amz-Date` value exactly as sent.
    ///   - scope: the credential scope, e.g. `20261125/us-east-1/rolesanywhere/aws4_request`.
    public static func canonicalRequestAndStringToSign(
        method: String,
        rawPath: String,
        rawQuery: String?,
        headers: [(name: String, value: String)],
        signedHeaders: [String],
        body: [UInt8],
        algorithm: String,
        amzDate: String,
        scope: CredentialScope
    ) -> (canonicalRequest: String, stringToSign: String) {
        canonicalRequestAndStringToSign(
            method: method, rawPath: rawPath, rawQuery: rawQuery, headers: HeaderIndex(headers),
            signedHeaders: signedHeaders, body: body, algorithm: algorithm, amzDate: amzDate, scope: scope)
    }

    /// The same for a received request, canonicalised from its ``SignedRequest/headerIndex`` (names
    /// lowercased once, when the request was read).
    public static func canonicalRequestAndStringToSign(
        for request: SignedRequest, signedHeaders: [String], algorithm: String, amzDate: String, scope: CredentialScope
    ) -> (canonicalRequest: String, stringToSign: String) {
        canonicalRequestAndStringToSign(
            method: request.method, rawPath: request.rawPath, rawQuery: request.rawQuery, headers: request.headerIndex,
            signedHeaders: signedHeaders, body: request.body, algorithm: algorithm, amzDate: amzDate, scope: scope)
    }

    private static func canonicalRequestAndStringToSign(
        method: String, rawPath: String, rawQuery: String?, headers: HeaderIndex, signedHeaders: [String],
        body: [UInt8], algorithm: String, amzDate: String, scope: CredentialScope
    ) -> (canonicalRequest: String, stringToSign: String) {
        let canonicalRequest = CanonicalRequest.make(
            method: method,
            rawPath: rawPath,
            rawQuery: rawQuery,
            headers: headers,
            signedHeaders: signedHeaders,
            payloadHash: Digest.sha256Hex(body)
        )
        let stringToSign = StringToSign.make(
            algorithm: algorithm, amzDate: amzDate, scope: scope, canonicalRequest: canonicalRequest)
        return (canonicalRequest, stringToSign)
    }
}
