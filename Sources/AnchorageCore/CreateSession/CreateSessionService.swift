import AnchorageCrypto

/// The whole CreateSession decision as one pure function of (request, configuration, clock, randomness).
///
/// Order of checks: the request signature first (so unauthenticated input learns nothing about the
/// configuration), then the request parameters, the certificate and its path to the named anchor, the
/// profile, and finally the role's trust policy. Every refusal carries a ``DenialReason``.
public struct CreateSessionService: Sendable {
    /// Accepted distance between `X-Amz-Date` and the server clock, in seconds.
    public var allowedClockSkew: Int64 = 300
    /// The service principal that Roles Anywhere presents to trust policies.
    public static let servicePrincipal = "rolesanywhere.amazonaws.com"
    /// The actions a trust policy must allow.
    public static let requiredActions = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]
    /// Most certificates `X-Amz-X509-Chain` may carry.
    public static let maximumChainLength = 5

    /// The keyring sealing new session tokens (its newest key), read once per request.
    public var keyring: TokenKeyring {
        get { sharedKeyring.current }
        set { sharedKeyring = SharedTokenKeyring(newValue) }
    }
    /// Where ``keyring`` comes from; `serve` shares it with STS and replaces its content on reload.
    public var sharedKeyring: SharedTokenKeyring
    public var random: any RandomSource

    public init(keyring: TokenKeyring, random: any RandomSource = SystemRandomSource()) {
        self.init(sharedKeyring: SharedTokenKeyring(keyring), random: random)
    }

    public init(sharedKeyring: SharedTokenKeyring, random: any RandomSource = SystemRandomSource()) {
        self.sharedKeyring = sharedKeyring
        self.random = random
    }

    struct Denial: Error {
        var reason: DenialReason
        var detail: String
        init(_ reason: DenialReason, _ detail: String) {
            self.reason = reason
            self.detail = detail
        }
    }

    /// Decides `request` against `configuration` at `now` (seconds since the Unix epoch).
    public func createSession(_ request: SignedRequest, configuration: Configuration, now: Int64)
        -> CreateSessionOutcome
    {
        var subject = AuditSubject()
        do {
            let response = try decide(request, configuration: configuration, now: now, subject: &subject)
            return CreateSessionOutcome(result: .issued(response), detail: "issued", subject: subject)
        } catch {
            return CreateSessionOutcome(result: .denied(error.reason), detail: error.detail, subject: subject)
        }
    }

    // MARK: - The pipeline

    private func decide(
        _ request: SignedRequest, configuration: Configuration, now: Int64, subject: inout AuditSubject
    ) throws(Denial) -> CreateSessionResponse {
        let authenticated = try authenticate(request, now: now, subject: &subject)
        let parameters = try RequestParameters(request)
        subject.trustAnchorArn = parameters.trustAnchorArn
        subject.profileArn = parameters.profileArn
        subject.roleArn = parameters.roleArn

        guard let anchorARN = ARN(parameters.trustAnchorArn), anchorARN.service == "rolesanywhere",
            anchorARN.hasResource(ofType: "trust-anchor")
        else { throw Denial(.malformedRequest, "trustAnchorArn is not a trust-anchor ARN") }
        guard authenticated.scope.region == anchorARN.region else {
            throw Denial(
                .wrongRegion,
                "credential scope region \(authenticated.scope.region) differs from the anchor's \(anchorARN.region)")
        }

        // The certificate and its path to the named anchor.
        guard let anchor = configuration.trustAnchors[parameters.trustAnchorArn] else {
            throw Denial(.unknownTrustAnchor, "no trust anchor \(parameters.trustAnchorArn)")
        }
        guard anchor.enabled else { throw Denial(.trustAnchorDisabled, "trust anchor \(anchor.name) is disabled") }
        try LeafPolicy.check(authenticated.leaf, now: now)
        let path = try buildPath(authenticated, anchor: anchor, now: now)
        if let revocation = configuration.revocations.certificateRevocation(
            serialHex: authenticated.leaf.serialNumberHex, sha256: authenticated.leaf.sha256Fingerprint,
            trustAnchorArn: anchor.arn.description)
        {
            throw Denial(.certificateRevokedByAdministrator, "revoked by \(revocation.id): \(revocation.summary)")
        }

        // The profile and role.
        guard let profile = configuration.profiles[parameters.profileArn] else {
            throw Denial(.unknownProfile, "no profile \(parameters.profileArn)")
        }
        guard profile.enabled else { throw Denial(.profileDisabled, "profile \(profile.name) is disabled") }
        guard profile.roleArns.contains(parameters.roleArn) else {
            throw Denial(.roleNotInProfile, "profile \(profile.name) does not list \(parameters.roleArn)")
        }
        guard let role = configuration.roles[parameters.roleArn] else {
            throw Denial(.unknownRole, "role \(parameters.roleArn) is not defined")
        }
        if parameters.roleSessionName != nil, !profile.acceptRoleSessionName {
            throw Denial(.roleSessionNameNotAllowed, "profile \(profile.name) does not accept roleSessionName")
        }

        let duration: Int
        switch SessionDuration.resolve(
            requested: parameters.durationSeconds, profileDuration: profile.durationSeconds,
            roleMaximum: role.maxSessionDuration)
        {
        case .success(let value): duration = value
        case .failure(.exceedsRoleMaximum):
            throw Denial(
                .durationExceedsRoleMaximum,
                "duration above the role's MaxSessionDuration \(role.maxSessionDuration)")
        case .failure:
            throw Denial(.invalidDuration, "durationSeconds outside 900-43200")
        }

        // Identity derived from the certificate, then the trust policy.
        let identity = CertificateIdentity(authenticated.leaf)
        let tags = PrincipalTags.derive(from: identity, mappings: profile.attributeMappings)
        let sourceIdentity = SourceIdentity.derive(from: identity)
        let sessionName = parameters.roleSessionName ?? authenticated.leaf.serialNumberHex
        let context = RequestContext.createSession(
            sourceArn: anchorARN.description, sourceAccount: anchorARN.account, principalTags: tags,
            sourceIdentity: sourceIdentity, roleSessionName: parameters.roleSessionName, epochSeconds: Int(now),
            sourceIp: request.sourceAddress)
        let decision = PolicyEvaluator.evaluate(
            role.trustPolicy, principalService: Self.servicePrincipal, actions: Self.requiredActions,
            context: context)
        switch decision.reason {
        case .allowed: break
        case .explicitDeny(let index, let sid):
            throw Denial(.trustPolicyDenied, "statement \(index)\(sid.map { " (\($0))" } ?? "") denies")
        case .noMatchingAllow(let missing):
            throw Denial(.trustPolicyNotAllowed, "no statement allows \(missing.joined(separator: ", "))")
        }
        _ = path

        // Mint.
        let principalTags = tags.map { PrincipalTag(key: $0.key, value: $0.value) }
        let claims = SessionClaims(
            accessKeyId: TemporaryCredentials.makeAccessKeyId(random: random),
            secretAccessKey: TemporaryCredentials.makeSecretAccessKey(random: random),
            roleArn: role.arn.description, roleSessionName: sessionName, sourceIdentity: sourceIdentity,
            principalTags: principalTags, trustAnchorArn: anchor.arn.description, profileArn: profile.arn.description,
            certificateSerialHex: authenticated.leaf.serialNumberHex,
            certificateSHA256: authenticated.leaf.sha256Fingerprint, issuedAt: now, expiresAt: now + Int64(duration),
            sourceAddress: request.sourceAddress, certificateSubject: authenticated.leaf.subjectString,
            certificateIssuer: authenticated.leaf.issuerString)
        let credentials = TemporaryCredentials(claims: claims, keyring: keyring, random: random)
        let account = role.arn.account
        let subjectID = IdentifierEncoding.uuidString(
            Digest.sha256(anchor.arn.region + "/" + anchor.arn.account + "/" + authenticated.leaf.subjectString))
        return CreateSessionResponse(
            credentials: credentials,
            assumedRoleArn: "arn:\(role.arn.partition):sts::\(account):assumed-role/\(role.name)/\(sessionName)",
            assumedRoleId: "\(role.roleId):\(sessionName)", roleArn: role.arn.description,
            sourceIdentity: sourceIdentity,
            subjectArn: "arn:\(anchor.arn.partition):rolesanywhere:\(anchor.arn.region):\(anchor.arn.account):subject/\(subjectID)",
            packedPolicySize: PackedPolicySize.estimate(tags: principalTags, profile: profile))
    }

    // MARK: - Authentication

    struct Authenticated {
        var leaf: Certificate
        var chain: [Certificate]
        var scope: CredentialScope
    }

    private func authenticate(_ request: SignedRequest, now: Int64, subject: inout AuditSubject) throws(Denial)
        -> Authenticated
    {
        // One pass over the header fields instead of a lowercasing scan per lookup.
        let headers = HeaderIndex(request.headers)
        guard let authorizationText = headers.value("authorization") else {
            throw Denial(.missingAuthentication, "no Authorization header")
        }
        let authorization: SigV4Authorization
        do {
            authorization = try SigV4Authorization.parse(authorizationText)
        } catch {
            throw Denial(.malformedAuthorization, "Authorization: \(error)")
        }
        guard let algorithm = X509SigningAlgorithm(rawValue: authorization.algorithm) else {
            throw Denial(.unsupportedAlgorithm, "algorithm \(authorization.algorithm)")
        }
        let scope = authorization.scope
        guard scope.service == "rolesanywhere", scope.terminator == "aws4_request" else {
            throw Denial(.credentialScopeMismatch, "credential scope \(scope.string)")
        }
        guard let amzDate = headers.value("x-amz-date") else {
            throw Denial(.missingAuthentication, "no X-Amz-Date header")
        }
        guard let requestTime = AmzDate(amzDate)?.secondsSinceEpoch else {
            throw Denial(.malformedAuthorization, "X-Amz-Date \(amzDate) is not YYYYMMDDTHHMMSSZ")
        }
        guard scope.date == String(amzDate.prefix(8)) else {
            throw Denial(.dateMismatch, "scope date \(scope.date) differs from X-Amz-Date \(amzDate)")
        }
        guard abs(requestTime - now) <= allowedClockSkew else {
            throw Denial(.clockSkew, "X-Amz-Date \(amzDate) is \(requestTime - now) s from the server clock")
        }

        var required = ["host", "x-amz-date", "x-amz-x509"]
        if headers.contains("x-amz-x509-chain") { required.append("x-amz-x509-chain") }
        for name in required where !authorization.signedHeaders.contains(name) {
            throw Denial(.unsignedRequiredHeader, "\(name) is not in SignedHeaders")
        }
        for name in authorization.signedHeaders where !headers.contains(name) {
            throw Denial(.malformedAuthorization, "signed header \(name) is not in the request")
        }

        guard let x509Text = headers.value("x-amz-x509") else {
            throw Denial(.missingAuthentication, "no X-Amz-X509 header")
        }
        let leaf = try Self.decodeCertificate(x509Text, what: "X-Amz-X509")
        subject.certificate = CertificateSummary(
            serialHex: leaf.serialNumberHex, subject: leaf.subjectString, issuer: leaf.issuerString,
            sha256: leaf.sha256Fingerprint)
        var chain: [Certificate] = []
        if let chainText = headers.value("x-amz-x509-chain") {
            let parts = chainText.split(separator: ",", omittingEmptySubsequences: false)
            guard parts.count <= Self.maximumChainLength else {
                throw Denial(.chainTooLong, "X-Amz-X509-Chain holds \(parts.count) certificates")
            }
            for part in parts {
                chain.append(try Self.decodeCertificate(String(part).trimmingASCIIWhitespace(), what: "X-Amz-X509-Chain"))
            }
        }

        guard Self.sameDecimal(authorization.credentialIdentifier, leaf.serialNumberDecimal) else {
            throw Denial(
                .serialMismatch,
                "credential serial \(authorization.credentialIdentifier) is not the certificate's \(leaf.serialNumberDecimal)")
        }
        let publicKey: PublicKey
        do {
            publicKey = try leaf.publicKey
        } catch {
            throw Denial(.malformedCertificate, "certificate public key: \(error)")
        }
        switch (algorithm, publicKey.kind) {
        case (.rsaSHA256, .rsa), (.ecdsaSHA256, .ec): break
        default:
            throw Denial(.keyAlgorithmMismatch, "\(algorithm.rawValue) with a \(publicKey.kind) key")
        }
        guard let signature = Hex.decode(authorization.signature) else {
            throw Denial(.malformedAuthorization, "signature is not hex")
        }
        let stringToSign = X509RequestSigner.canonicalRequestAndStringToSign(
            method: request.method, rawPath: request.rawPath, rawQuery: request.rawQuery, headers: request.headers,
            signedHeaders: authorization.signedHeaders, body: request.body, algorithm: authorization.algorithm,
            amzDate: amzDate, scope: scope
        ).stringToSign
        // Verified on every request: a signature is bound to its date, headers and body.
        guard publicKey.verifySHA256Signature(signature, over: Array(stringToSign.utf8)) else {
            throw Denial(.signatureMismatch, "signature does not verify with the certificate's key")
        }
        return Authenticated(leaf: leaf, chain: chain, scope: scope)
    }

    private static func decodeCertificate(_ text: String, what: String) throws(Denial) -> Certificate {
        // Parsed once per distinct certificate (by SHA-256 of the DER); trust, validity and
        // revocation are still decided per request by LeafPolicy and buildPath.
        let certificate: Certificate?
        do {
            certificate = try CertificateCache.shared.certificate(base64: text)
        } catch {
            throw Denial(.malformedCertificate, "\(what) is not a DER certificate: \(error.message)")
        }
        guard let certificate else { throw Denial(.malformedCertificate, "\(what) is not base64") }
        return certificate
    }

    /// Compares two decimal integers exactly, ignoring leading zeros (serials can exceed 160 bits).
    static func sameDecimal(_ a: String, _ b: String) -> Bool {
        func normalized(_ s: String) -> (Bool, Substring)? {
            var digits = Substring(s)
            var negative = false
            if digits.first == "-" {
                negative = true
                digits = digits.dropFirst()
            }
            guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            while digits.count > 1, digits.first == "0" { digits = digits.dropFirst() }
            return (negative && digits != "0", digits)
        }
        guard let x = normalized(a), let y = normalized(b) else { return false }
        return x.0 == y.0 && x.1 == y.1
    }

    private func buildPath(_ authenticated: Authenticated, anchor: TrustAnchor, now: Int64) throws(Denial)
        -> [Certificate]
    {
        switch anchor.trustStore.buildPath(leaf: authenticated.leaf, untrusted: authenticated.chain, at: now) {
        case .trusted(let path):
            // Intermediates are held to the leaf's signature-strength rule; the anchor itself is trusted as configured.
            for certificate in path.dropFirst().dropLast() where !LeafPolicy.isStrongDigest(certificate) {
                throw Denial(.weakSignatureAlgorithm, "intermediate \(certificate.subjectString) has a weak signature")
            }
            return path
        case .failure(let failure, let depth):
            let reason: DenialReason
            switch failure {
            case .expired: reason = .certificateExpired
            case .notYetValid: reason = .certificateNotYetValid
            case .revoked: reason = .certificateRevoked
            default: reason = .untrustedCertificate
            }
            throw Denial(reason, "path to \(anchor.name): \(failure) at depth \(depth)")
        }
    }
}
