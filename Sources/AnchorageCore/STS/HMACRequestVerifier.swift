import AnchorageBasics
import AnchorageCrypto

/// Verifies `AWS4-HMAC-SHA256` requests, in header (`Authorization`) and presigned-query form, the way
/// AWS STS does: canonicalisation as for every non-S3 service, the clock window, `X-Amz-Expires`, and a
/// constant-time comparison of the signature.
///
/// The verifier knows no credentials: `lookup` turns the access key id and security token of the
/// request into the secret (and whatever the caller wants back, e.g. the opened session). Checks run
/// in this order: shape, scope and clock (`IncompleteSignature`, `SignatureDoesNotMatch`), the lookup
/// (its own errors, e.g. `InvalidClientTokenId`), then the signature. What the lookup returns is only
/// trusted once the signature verified, so callers check expiry and revocation on the result.
public struct HMACRequestVerifier: Sendable {
    /// Accepted distance between the request time and the server clock, in seconds (STS: 15 minutes).
    public var allowedClockSkew: Int64 = 900
    /// The credential-scope service the request must name (`sts`); nil accepts any.
    public var service: String?
    /// Remove `.`/`..`/empty path segments before encoding (every service except S3).
    public var normalizePath = true

    public init(service: String? = "sts", allowedClockSkew: Int64 = 900, normalizePath: Bool = true) {
        self.service = service
        self.allowedClockSkew = allowedClockSkew
        self.normalizePath = normalizePath
    }

    /// The secret for a request's credentials, plus what the caller learned finding it.
    public struct Credential<Principal: Sendable>: Sendable {
        public var secretAccessKey: String
        public var principal: Principal
        public init(secretAccessKey: String, principal: Principal) {
            self.secretAccessKey = secretAccessKey
            self.principal = principal
        }
    }

    /// A request whose signature verified.
    public struct Verified<Principal: Sendable>: Sendable {
        public var accessKeyId: String
        public var scope: CredentialScope
        public var signedHeaders: [String]
        /// The request time (`X-Amz-Date`), seconds since the Unix epoch.
        public var requestTime: Int64
        public var isPresigned: Bool
        public var principal: Principal
    }

    /// How a request is authenticated.
    enum Mode {
        case header(String)
        case presigned
    }

    /// Verifies `request` at `now` (seconds since the Unix epoch).
    public func verify<Principal: Sendable>(
        _ request: SignedRequest, now: Int64,
        lookup: (_ accessKeyId: String, _ securityToken: String?) throws(STSFailure) -> Credential<Principal>
    ) throws(STSFailure) -> Verified<Principal> {
        let mode = try Self.mode(of: request)
        let authorization: SigV4Authorization
        let amzDateText: String
        let requestTime: Int64
        let securityToken: String?
        switch mode {
        case .header(let value):
            do {
                authorization = try SigV4Authorization.parse(value)
            } catch {
                throw STSFailure(.incompleteSignature, .malformedAuthorization, "Authorization: \(error.message)")
            }
            guard let date = request.header("x-amz-date") else {
                throw STSFailure(
                    .incompleteSignature, .malformedAuthorization, "no X-Amz-Date header",
                    message: "Authorization header requires existence of a 'X-Amz-Date' header.")
            }
            guard let parsed = AmzDate(date) else {
                throw STSFailure(
                    .incompleteSignature, .malformedAuthorization,
                    "X-Amz-Date \(date.prefix(40)) is not YYYYMMDDTHHMMSSZ")
            }
            amzDateText = date
            requestTime = parsed.secondsSinceEpoch
            securityToken = request.header("x-amz-security-token")
        case .presigned:
            do {
                authorization = try SigV4Authorization.parsePresigned(rawQuery: request.rawQuery ?? "")
            } catch {
                throw STSFailure(.incompleteSignature, .malformedAuthorization, "presigned query: \(error.message)")
            }
            // parsePresigned guarantees both.
            let date = authorization.amzDate!
            amzDateText = date.string
            requestTime = date.secondsSinceEpoch
            securityToken = authorization.securityToken ?? request.header("x-amz-security-token")
        }

        guard authorization.algorithm == HMACSigner.algorithm else {
            throw STSFailure(
                .incompleteSignature, .unsupportedAlgorithm, "algorithm \(authorization.algorithm.prefix(40))",
                message: "Unsupported AWS 'algorithm': '\(authorization.algorithm.prefix(40))'")
        }
        guard authorization.signedHeaders.contains("host") else {
            throw STSFailure(
                .incompleteSignature, .unsignedRequiredHeader, "host is not in SignedHeaders",
                message: "'Host' must be a 'SignedHeader' in the AWS Authorization.")
        }
        let scope = authorization.scope
        if let service, scope.service != service {
            throw STSFailure(
                .signatureDoesNotMatch, .credentialScopeMismatch, "credential scope \(scope.string)",
                message: "Credential should be scoped to correct service: '\(service)'. ")
        }
        guard scope.date == String(amzDateText.prefix(8)) else {
            throw STSFailure(
                .signatureDoesNotMatch, .dateMismatch, "scope date \(scope.date) differs from \(amzDateText)",
                message: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                    + "'\(scope.date)' != '\(amzDateText.prefix(8))', from '\(amzDateText)'.")
        }
        try checkClock(requestTime: requestTime, amzDate: amzDateText, expires: authorization.expires, now: now)

        let credential = try lookup(authorization.credentialIdentifier, securityToken)

        // STS has no unsigned or streaming payloads: a declared payload hash must be the body's.
        let bodyHash = Digest.sha256Hex(request.body)
        let declaredHashes = request.headerValues("x-amz-content-sha256")
        if !declaredHashes.isEmpty {
            guard declaredHashes.count == 1, declaredHashes[0].trimmingSpacesAndTabs() == bodyHash else {
                throw STSFailure(
                    .signatureDoesNotMatch, .payloadHashMismatch, "X-Amz-Content-Sha256 is not the body's SHA-256")
            }
        }
        let signingKey = HMACSigner.signingKey(
            secret: credential.secretAccessKey, date: scope.date, region: scope.region, service: scope.service)
        func matches(excluding excluded: Set<String>) -> Bool {
            let canonicalRequest = CanonicalRequest.make(
                method: request.method, rawPath: request.rawPath, rawQuery: request.rawQuery,
                headers: request.headerIndex, signedHeaders: authorization.signedHeaders, payloadHash: bodyHash,
                excludingQueryParameters: excluded,
                normalizePath: normalizePath)
            let stringToSign = StringToSign.make(
                algorithm: HMACSigner.algorithm, amzDate: amzDateText, scope: scope, canonicalRequest: canonicalRequest)
            let expected = HMACSigner.signature(signingKey: signingKey, stringToSign: stringToSign)
            return ConstantTime.equals(Array(expected.utf8), Array(authorization.signature.utf8))
        }
        var verified: Bool
        switch mode {
        case .header: verified = matches(excluding: [])
        case .presigned:
            verified = matches(excluding: ["X-Amz-Signature"])
            // Some signers (aws-c-auth's omit_session_token, IoT-style URLs) append the token after
            // signing. The token is still bound to the access key by the lookup, so accept that form too.
            if !verified, authorization.securityToken != nil {
                verified = matches(excluding: ["X-Amz-Signature", "X-Amz-Security-Token"])
            }
        }
        guard verified else {
            throw STSFailure(.signatureDoesNotMatch, .signatureMismatch, "HMAC signature does not verify")
        }
        var isPresigned = false
        if case .presigned = mode { isPresigned = true }
        return Verified(
            accessKeyId: authorization.credentialIdentifier, scope: scope, signedHeaders: authorization.signedHeaders,
            requestTime: requestTime, isPresigned: isPresigned, principal: credential.principal)
    }

    /// Header mode, presigned mode, or neither (`MissingAuthenticationToken`); both is refused.
    static func mode(of request: SignedRequest) throws(STSFailure) -> Mode {
        let authorizations = request.headerValues("authorization")
        let presigned = hasPresignedParameters(request.rawQuery)
        switch (authorizations.count, presigned) {
        case (0, false):
            throw STSFailure(
                .missingAuthenticationToken, .missingAuthentication, "no Authorization header or X-Amz-Signature")
        case (1, false): return .header(authorizations[0])
        case (0, true): return .presigned
        default:
            throw STSFailure(
                .incompleteSignature, .ambiguousAuthentication,
                "\(authorizations.count) Authorization header(s)\(presigned ? " and a presigned query" : "")",
                message: "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
                    + "Signature query string parameter or the Authorization header should be specified")
        }
    }

    private static func hasPresignedParameters(_ rawQuery: String?) -> Bool {
        guard let rawQuery, !rawQuery.isEmpty else { return false }
        for parameter in CanonicalRequest.decodedQueryParameters(rawQuery) {
            let name = String(decoding: parameter.name, as: UTF8.self)
            if name == "X-Amz-Algorithm" || name == "X-Amz-Signature" || name == "X-Amz-Credential" { return true }
        }
        return false
    }

    /// Header requests: within ±`allowedClockSkew` of now. Presigned requests: not more than the skew in
    /// the future, and not past `X-Amz-Date + X-Amz-Expires`.
    private func checkClock(requestTime: Int64, amzDate: String, expires: Int?, now: Int64) throws(STSFailure) {
        func text(_ seconds: Int64) -> String { AmzDate(secondsSinceEpoch: seconds)?.string ?? String(seconds) }
        let minutes = allowedClockSkew / 60
        if requestTime > now + allowedClockSkew {
            throw STSFailure(
                .signatureDoesNotMatch, .signatureNotYetCurrent,
                "X-Amz-Date \(amzDate) is \(requestTime - now) s ahead",
                message: "Signature not yet current: \(amzDate) is still later than \(text(now + allowedClockSkew)) "
                    + "(\(text(now)) + \(minutes) min.)")
        }
        if let expires {
            if now > requestTime + Int64(expires) {
                throw STSFailure(
                    .signatureDoesNotMatch, .signatureExpired,
                    "presigned at \(amzDate) for \(expires) s, now \(text(now))",
                    message: "Signature expired: \(amzDate) is now earlier than \(text(now - Int64(expires))) "
                        + "(\(text(now)) - \(expires) sec.)")
            }
        } else if requestTime < now - allowedClockSkew {
            throw STSFailure(
                .signatureDoesNotMatch, .signatureExpired, "X-Amz-Date \(amzDate) is \(now - requestTime) s old",
                message: "Signature expired: \(amzDate) is now earlier than \(text(now - allowedClockSkew)) "
                    + "(\(text(now)) - \(minutes) min.)")
        }
    }
}
