import AnchorageBasics
public import AnchorageCrypto

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
    /// Rate limits and replay protection in this process (Limits/) for ``createSession(_:configuration:now:)``;
    /// nil admits everything. A server with shared state decides with its own ``AdmissionStore`` instead.
    public var admission: RequestAdmission?
    /// The names a request's signed `Host` may carry; `serve` sets the server's own (``ServerNames``).
    public var serverNames: ServerNames = .anyHost
    /// Certificates parsed from `X-Amz-X509` and `X-Amz-X509-Chain`, by the SHA-256 of their DER.
    ///
    /// Owned by the service rather than a configuration generation: a parsed certificate depends only
    /// on its bytes, so it stays right across reloads, and `serve` keeps one service for its lifetime.
    /// Copies of the service share the cache (a reference).
    public let certificates: CertificateCache
    /// What each (certificate, attribute mappings) pair derives: owned here for the same reason as
    /// ``certificates`` — the mappings are part of the key, so a reload that changes them misses.
    let derivedIdentities: DerivedIdentity.Cache

    public init(keyring: TokenKeyring, random: any RandomSource = SystemRandomSource()) {
        self.init(sharedKeyring: SharedTokenKeyring(keyring), random: random)
    }

    /// A service deciding with the keys of `sharedKeyring`; `certificates` is the parse cache to
    /// use (a new one of 2,048 certificates unless given, for callers that share one).
    public init(
        sharedKeyring: SharedTokenKeyring, random: any RandomSource = SystemRandomSource(),
        certificates: CertificateCache = CertificateCache(capacity: 2048)
    ) {
        self.sharedKeyring = sharedKeyring
        self.random = random
        self.certificates = certificates
        self.derivedIdentities = DerivedIdentity.Cache(capacity: 4096)
    }

    struct Denial: Error {
        var reason: DenialReason
        var detail: String
        init(_ reason: DenialReason, _ detail: String) {
            self.reason = reason
            self.detail = detail
        }
    }

    /// Decides `request` against `configuration` at `now` (seconds since the Unix epoch), with the embedded
    /// ``admission`` (none: every verified, authorized request is admitted).
    ///
    /// The same steps as the server's: ``begin(_:configuration:now:sourceInBatch:)``, the admission
    /// decision, ``finish(_:verdict:)``.
    public func createSession(_ request: SignedRequest, configuration: Configuration, now: Int64)
        -> CreateSessionOutcome
    {
        switch begin(request, configuration: configuration, now: now, sourceInBatch: false) {
        case .decided(let outcome): return outcome
        case .admission(let batch, let pending):
            return finish(pending, verdict: admission?.decide(batch) ?? .admitted)
        }
    }

    /// Runs every check after the request signature — the path to the anchor, revocation, the profile, the
    /// role and its trust policy — for a certificate given directly, and records each step.
    ///
    /// This is the server's own decision code (``createSession(_:configuration:now:)`` runs the same
    /// ``authorize(_:configuration:now:trace:)``), so `anchorage explain` and the audit log agree on the reason.
    public func explain(_ request: SessionRequest, configuration: Configuration, now: Int64) -> Explanation {
        var trace = DecisionTrace(recording: true)
        do {
            try Self.checkParameters(request, trace: &trace)
            let authorization = try authorize(request, configuration: configuration, now: now, trace: &trace)
            trace.record("decision", .pass, "allowed: role \(authorization.role.arn) for \(authorization.duration) s")
            if let upstream = authorization.role.upstream {
                trace.record("upstream", .info, brokeredExplanation(upstream, configuration: configuration))
            }
            return Explanation(reason: nil, detail: "allowed", trace: trace.steps)
        } catch {
            trace.record("decision", .fail, "denied: \(error.reason.rawValue): \(error.detail)")
            return Explanation(reason: error.reason, detail: error.detail, trace: trace.steps)
        }
    }

    // MARK: - The pipeline

    func verifyAndAuthorize(
        _ request: SignedRequest, configuration: Configuration, now: Int64, subject: inout AuditSubject
    ) throws(Denial) -> (Authorization, SessionRequest, AdmissionKeys) {
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
        let sessionRequest = SessionRequest(
            certificate: authenticated.leaf, chain: authenticated.chain, trustAnchorArn: parameters.trustAnchorArn,
            profileArn: parameters.profileArn, roleArn: parameters.roleArn,
            durationSeconds: parameters.durationSeconds, roleSessionName: parameters.roleSessionName,
            sourceAddress: request.sourceAddress)
        var trace = DecisionTrace(recording: false)
        let authorization = try authorize(sessionRequest, configuration: configuration, now: now, trace: &trace)
        return (authorization, sessionRequest, authenticated.admissionKeys)
    }

    /// What ``authorize(_:configuration:now:trace:)`` established.
    struct Authorization {
        var anchor: TrustAnchor
        var profile: Profile
        var role: Role
        var duration: Int
        var tags: [(key: String, value: String)]
        var principalTags: [PrincipalTag]
        var sourceIdentity: String
        var sessionName: String
        /// The certificates that issued the leaf, from its issuer up to the anchor.
        var issuers: [CertificateReference]
    }

    private func authorize(
        _ request: SessionRequest, configuration: Configuration, now: Int64, trace: inout DecisionTrace
    ) throws(Denial) -> Authorization {
        let leaf = request.certificate
        guard let anchorARN = ARN(request.trustAnchorArn), anchorARN.hasResource(ofType: "trust-anchor") else {
            throw Denial(.malformedRequest, "trustAnchorArn is not a trust-anchor ARN")
        }
        // The certificate and its path to the named anchor.
        guard let anchor = configuration.trustAnchors[request.trustAnchorArn] else {
            throw Denial(.unknownTrustAnchor, "no trust anchor \(request.trustAnchorArn)")
        }
        trace.record(
            "trust anchor", .pass,
            "\(anchor.name) (\(anchor.certificates.count) certificate(s), \(anchor.revocationLists.count) CRL(s))")
        guard anchor.enabled else { throw Denial(.trustAnchorDisabled, "trust anchor \(anchor.name) is disabled") }
        trace.record("trust anchor enabled", .pass, "yes")
        try LeafPolicy.check(leaf, now: now)
        trace.record(
            "leaf certificate", .pass,
            "\(leaf.subjectString): v3, not a CA, digitalSignature, signed with \(leaf.signatureDigestName ?? "?"), "
                + "valid \(UTCTimestamp.iso8601(leaf.notBefore)) to \(UTCTimestamp.iso8601(leaf.notAfter))")
        let path = try buildPath(leaf: leaf, chain: request.chain, anchor: anchor, now: now)
        for (depth, certificate) in path.enumerated() {
            trace.record(
                "path[\(depth)]", .pass,
                "\(certificate.subjectString) (issuer \(certificate.issuerString), SHA-256 \(certificate.sha256Fingerprint))"
            )
        }
        trace.record(
            "revocation (CRLs)", .pass,
            "no certificate of the path is listed by the anchor's \(anchor.revocationLists.count) CRL(s)")
        let pathReferences = path.map {
            CertificateReference(serialHex: $0.serialNumberHex, sha256: $0.sha256Fingerprint)
        }
        if let (revocation, depth) = configuration.revocations.certificateRevocation(
            path: pathReferences, trustAnchorArn: anchor.arn.description)
        {
            throw Denial(
                .certificateRevokedByAdministrator,
                "path[\(depth)] \(path[depth].subjectString) revoked by \(revocation.id): \(revocation.summary)")
        }
        trace.record("revocation (anchorage revoke)", .pass, "no certificate of the path is revoked")

        // The profile and role.
        guard let profile = configuration.profiles[request.profileArn] else {
            throw Denial(.unknownProfile, "no profile \(request.profileArn)")
        }
        // A trust anchor vouches for its own account and region only: a profile elsewhere is another
        // tenant's, whatever its roles' trust policies say (AWS's documented tag-only policies rely on it).
        guard profile.arn.account == anchor.arn.account else {
            throw Denial(
                .accountMismatch,
                "profile \(profile.name) is in account \(profile.arn.account), the trust anchor in \(anchor.arn.account)"
            )
        }
        guard profile.arn.region == anchor.arn.region else {
            throw Denial(
                .regionMismatch,
                "profile \(profile.name) is in region \(profile.arn.region), the trust anchor in \(anchor.arn.region)")
        }
        guard profile.enabled else { throw Denial(.profileDisabled, "profile \(profile.name) is disabled") }
        trace.record("profile", .pass, "\(profile.name) is enabled, in the trust anchor's account and region")
        guard profile.roleArns.contains(request.roleArn) else {
            throw Denial(.roleNotInProfile, "profile \(profile.name) does not list \(request.roleArn)")
        }
        guard let role = configuration.roles[request.roleArn] else {
            throw Denial(.unknownRole, "role \(request.roleArn) is not defined")
        }
        guard role.arn.account == anchor.arn.account else {
            throw Denial(
                .accountMismatch,
                "role \(role.name) is in account \(role.arn.account), the trust anchor in \(anchor.arn.account)")
        }
        trace.record("role", .pass, "\(role.name) is listed by the profile")
        if request.roleSessionName != nil, !profile.acceptRoleSessionName {
            throw Denial(.roleSessionNameNotAllowed, "profile \(profile.name) does not accept roleSessionName")
        }

        let duration: Int
        switch SessionDuration.resolve(
            requested: request.durationSeconds, profileDuration: profile.durationSeconds,
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
        trace.record(
            "duration", .pass,
            "\(duration) s (profile \(profile.durationSeconds), requested \(request.durationSeconds.map(String.init) ?? "none"), role maximum \(role.maxSessionDuration))"
        )

        // Identity derived from the certificate, then the trust policy.
        // Derived once per (certificate, mappings): see DerivedIdentity.
        let derived = derivedIdentities.of(leaf, mappings: profile.attributeMappings)
        let tags = derived.tags
        let sourceIdentity = derived.sourceIdentity
        let context = RequestContext.createSession(
            certificateEntries: derived.contextBase, sourceArn: anchorARN.description, sourceAccount: anchorARN.account,
            roleSessionName: request.roleSessionName, epochSeconds: Int(now), sourceIp: request.sourceAddress)
        if trace.recording {
            for tag in tags { trace.record("principal tag", .info, "\(tag.key) = \(tag.value)") }
            trace.record("context", .info, "aws:SourceArn = \(anchorARN.description)")
            trace.record("context", .info, "aws:SourceAccount = \(anchorARN.account)")
            trace.record("context", .info, "sts:SourceIdentity = \(sourceIdentity)")
            if let address = request.sourceAddress { trace.record("context", .info, "aws:SourceIp = \(address)") }
            if let name = request.roleSessionName { trace.record("context", .info, "sts:RoleSessionName = \(name)") }
            trace.record("context", .info, "aws:CurrentTime = \(UTCTimestamp.iso8601(now))")
        }
        let decision = PolicyEvaluator.evaluate(
            role.trustPolicy, principalService: Self.servicePrincipal, actions: Self.requiredActions, context: context,
            tracing: trace.recording)
        for statement in decision.trace {
            trace.record("trust policy", statement.applies ? .pass : .info, statement.description)
        }
        let reason = decision.reason
        switch reason {
        case .allowed: break
        case .explicitDeny(let index, let sid):
            throw Denial(.trustPolicyDenied, "statement \(index)\(sid.map { " (\($0))" } ?? "") denies")
        case .noMatchingAllow(let missing):
            throw Denial(.trustPolicyNotAllowed, "no statement allows \(missing.joined(separator: ", "))")
        }
        return Authorization(
            anchor: anchor, profile: profile, role: role, duration: duration, tags: tags,
            principalTags: derived.principalTags, sourceIdentity: sourceIdentity,
            sessionName: request.roleSessionName ?? leaf.serialNumberHex, issuers: Array(pathReferences.dropFirst()))
    }

    /// What one mint draws: the access key id (10 bytes), the secret (30) and the token's nonce.
    static let randomBytesPerMint = 10 + 30 + AES256GCM.nonceLength

    func mint(_ authorization: Authorization, request: SessionRequest, now: Int64) -> CreateSessionResponse {
        let leaf = request.certificate
        let anchor = authorization.anchor
        let role = authorization.role
        let sessionName = authorization.sessionName
        let principalTags = authorization.principalTags
        let random = PrefetchedRandom(Self.randomBytesPerMint, from: random)
        let claims = SessionClaims(
            accessKeyId: TemporaryCredentials.makeAccessKeyId(random: random),
            secretAccessKey: TemporaryCredentials.makeSecretAccessKey(random: random),
            roleArn: role.arn.description, roleSessionName: sessionName, sourceIdentity: authorization.sourceIdentity,
            principalTags: principalTags, trustAnchorArn: anchor.arn.description,
            profileArn: authorization.profile.arn.description, certificateSerialHex: leaf.serialNumberHex,
            certificateSHA256: leaf.sha256Fingerprint, issuerCertificates: authorization.issuers, issuedAt: now,
            expiresAt: now + Int64(authorization.duration),
            sourceAddress: request.sourceAddress, certificateSubject: leaf.subjectString,
            certificateIssuer: leaf.issuerString)
        let credentials = TemporaryCredentials(claims: claims, keyring: keyring, random: random)
        return CreateSessionResponse(
            credentials: credentials,
            assumedRoleArn:
                "arn:\(role.arn.partition):sts::\(role.arn.account):assumed-role/\(role.name)/\(sessionName)",
            assumedRoleId: "\(role.roleId):\(sessionName)", roleArn: role.arn.description,
            sourceIdentity: authorization.sourceIdentity,
            subjectArn: Self.subjectArn(anchor: anchor, leaf: leaf),
            packedPolicySize: PackedPolicySize.estimate(tags: principalTags, profile: authorization.profile))
    }

    /// The Roles Anywhere subject ARN of `leaf` under `anchor`: one subject per (region, account, subject DN).
    static func subjectArn(anchor: TrustAnchor, leaf: Certificate) -> String {
        let subjectID = IdentifierEncoding.uuidString(
            Digest.sha256(anchor.arn.region + "/" + anchor.arn.account + "/" + leaf.subjectString))
        return
            "arn:\(anchor.arn.partition):rolesanywhere:\(anchor.arn.region):\(anchor.arn.account):subject/\(subjectID)"
    }

    // MARK: - Authentication

    struct Authenticated {
        var leaf: Certificate
        var chain: [Certificate]
        var scope: CredentialScope
        var admissionKeys: AdmissionKeys
    }

    private func authenticate(_ request: SignedRequest, now: Int64, subject: inout AuditSubject) throws(Denial)
        -> Authenticated
    {
        // Names lowercased once per request (by the HTTP parser, on the server), not per lookup.
        let headers = request.headerIndex
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
        let leaf = try decodeCertificate(x509Text, what: "X-Amz-X509")
        subject.certificate = CertificateSummary(
            serialHex: leaf.serialNumberHex, subject: leaf.subjectString, issuer: leaf.issuerString,
            sha256: leaf.sha256Fingerprint)
        var chain: [Certificate] = []
        if let chainText = headers.value("x-amz-x509-chain") {
            let parts = Self.chainParts(chainText)
            guard parts.count <= Self.maximumChainLength else {
                throw Denial(.chainTooLong, "X-Amz-X509-Chain holds \(parts.count) certificates")
            }
            for part in parts { chain.append(try decodeCertificate(part, what: "X-Amz-X509-Chain")) }
        }

        guard Self.sameDecimal(authorization.credentialIdentifier, leaf.serialNumberDecimal) else {
            throw Denial(
                .serialMismatch,
                "credential serial \(authorization.credentialIdentifier) is not the certificate's \(leaf.serialNumberDecimal)"
            )
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
            for: request, signedHeaders: authorization.signedHeaders, algorithm: authorization.algorithm,
            amzDate: amzDate, scope: scope
        ).stringToSign
        // Verified on every request: a signature is bound to its date, headers and body.
        guard publicKey.verifySHA256Signature(signature, over: Array(stringToSign.utf8)) else {
            throw Denial(.signatureMismatch, "signature does not verify with the certificate's key")
        }
        // `host` is signed (checked above): the signer meant this host, and it must be one of ours.
        let host = headers.value("host") ?? ""
        guard serverNames.accepts(host: host) else {
            throw Denial(
                .hostNotAccepted, "signed Host \(host.prefix(256).debugDescription) is not one of the server's names")
        }
        let keys = Self.admissionKeys(
            leaf: leaf, stringToSign: stringToSign, signature: signature, algorithm: algorithm,
            requestTime: requestTime, allowedClockSkew: allowedClockSkew)
        return Authenticated(leaf: leaf, chain: chain, scope: scope, admissionKeys: keys)
    }

    /// The comma-separated elements of `X-Amz-X509-Chain`, each without surrounding spaces and tabs.
    /// Split as bytes: the header is kilobytes of base64, and splitting it as `Character`s (grapheme
    /// breaking) cost more than everything else the chain adds to a request.
    static func chainParts(_ text: String) -> [String] {
        var text = text
        return text.withUTF8 { bytes in
            bytes.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).map { part in
                String(decoding: UnsafeBufferPointer(rebasing: part).trimmingSpacesAndTabs(), as: UTF8.self)
            }
        }
    }

    private func decodeCertificate(_ text: String, what: String) throws(Denial) -> Certificate {
        // Parsed once per distinct certificate (by SHA-256 of the DER); trust, validity and
        // revocation are still decided per request by LeafPolicy and buildPath.
        let certificate: Certificate?
        do {
            certificate = try certificates.certificate(base64: text)
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

    private func buildPath(leaf: Certificate, chain: [Certificate], anchor: TrustAnchor, now: Int64) throws(Denial)
        -> [Certificate]
    {
        switch anchor.trustStore.buildPath(leaf: leaf, untrusted: chain, at: now) {
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
