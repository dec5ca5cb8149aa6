/// The STS query API for sessions Anchorage issued, as one pure function of (request, configuration,
/// clock): `GetCallerIdentity` and the `GetSessionContext` extension.
///
/// Order: the signature (any replica holding the keyring opens the session token to find the secret),
/// then — only for a caller proven to hold the secret — expiry (`ExpiredToken`), administrative
/// revocation (`InvalidClientTokenId`), the profile's optional source-address binding (`AccessDenied`),
/// and finally the action (`InvalidAction`).
public struct STSService: Sendable {
    /// The keyring opening session tokens (every key listed), read once per request.
    public var keyring: TokenKeyring {
        get { sharedKeyring.current }
        set { sharedKeyring = SharedTokenKeyring(newValue) }
    }
    /// Where ``keyring`` comes from; `serve` shares it with CreateSession and replaces its content on reload.
    public var sharedKeyring: SharedTokenKeyring
    public var verifier: HMACRequestVerifier
    /// The names a request's signed `Host` may carry; `serve` sets the server's own, as for CreateSession.
    public var serverNames: ServerNames = .anyHost

    public init(keyring: TokenKeyring, verifier: HMACRequestVerifier = HMACRequestVerifier(service: "sts")) {
        self.init(sharedKeyring: SharedTokenKeyring(keyring), verifier: verifier)
    }

    public init(
        sharedKeyring: SharedTokenKeyring, verifier: HMACRequestVerifier = HMACRequestVerifier(service: "sts")
    ) {
        self.sharedKeyring = sharedKeyring
        self.verifier = verifier
    }

    /// Decides `request` against `configuration` at `now` (seconds since the Unix epoch).
    public func handle(_ request: SignedRequest, configuration: Configuration, now: Int64) -> STSOutcome {
        var session: SessionClaims?
        var action: STSAction?
        var actionFailure: STSFailure?
        do throws(STSFailure) {
            action = try STSAction.requested(by: request)
        } catch {
            actionFailure = error
        }
        let requestedAction = Self.requestedActionName(request)
        do throws(STSFailure) {
            let verified = try authenticate(request, configuration: configuration, now: now, session: &session)
            let claims = verified.principal
            if let actionFailure { throw actionFailure }
            guard let identity = SessionIdentity(claims: claims), let action else {
                throw STSFailure(.internalFailure, .internalError, "session role ARN \(claims.roleArn) does not parse")
            }
            return STSOutcome(
                action: action, requestedAction: requestedAction, result: .success(identity), session: claims,
                presigned: verified.isPresigned)
        } catch {
            return STSOutcome(
                action: action, requestedAction: requestedAction, result: .failure(error), session: session,
                presigned: false)
        }
    }

    /// Authenticates a request signed with Anchorage-issued credentials: the signature (scoped to
    /// `service`, default the verifier's), the signed `Host`, expiry, administrative revocation and the profile's
    /// source-address binding — the checks every API signed with session credentials applies, in this order.
    ///
    /// `session` is set as soon as the token opens, even when a later check fails (for the audit log).
    public func authenticate(
        _ request: SignedRequest, configuration: Configuration, now: Int64, service: String? = nil,
        session: inout SessionClaims?
    ) throws(STSFailure) -> HMACRequestVerifier.Verified<SessionClaims> {
        var verifier = self.verifier
        if let service { verifier.service = service }
        let keyring = self.keyring
        var opened: SessionClaims?
        defer { if let opened { session = opened } }
        let verified = try verifier.verify(request, now: now) {
            (accessKeyId, token) throws(STSFailure) -> HMACRequestVerifier.Credential<SessionClaims> in
            guard let token else {
                throw STSFailure(
                    .invalidClientTokenId, .missingSecurityToken,
                    "access key \(accessKeyId.prefix(32)) without a security token")
            }
            let claims: SessionClaims
            do {
                claims = try SessionToken.open(token, keyring: keyring)
            } catch {
                throw STSFailure(.invalidClientTokenId, .invalidToken, "session token does not open: \(error)")
            }
            opened = claims
            guard claims.accessKeyId == accessKeyId else {
                throw STSFailure(
                    .invalidClientTokenId, .accessKeyMismatch,
                    "credential access key \(accessKeyId.prefix(32)) is not the session's \(claims.accessKeyId)")
            }
            return HMACRequestVerifier.Credential(secretAccessKey: claims.secretAccessKey, principal: claims)
        }
        let claims = verified.principal
        // The verifier requires `host` among the signed headers: the caller meant this host.
        let host = request.header("host") ?? ""
        guard serverNames.accepts(host: host) else {
            throw STSFailure(
                .signatureDoesNotMatch, .hostNotAccepted,
                "signed Host \(host.prefix(256).debugDescription) is not one of the server's names")
        }
        guard now < claims.expiresAt else {
            throw STSFailure(
                .expiredToken, .expiredToken, "session expired at \(UTCTimestamp.iso8601(claims.expiresAt))")
        }
        if let revocation = configuration.revocations.revocation(
            matching: RevocationList.Subject(
                certificateSerialHex: claims.certificateSerialHex, certificateSHA256: claims.certificateSHA256,
                issuerCertificates: claims.issuerCertificates, trustAnchorArn: claims.trustAnchorArn,
                accessKeyId: claims.accessKeyId, roleArn: claims.roleArn,
                issuedAt: claims.issuedAt))
        {
            throw STSFailure(.invalidClientTokenId, .revoked, "revoked by \(revocation.id): \(revocation.summary)")
        }
        if configuration.profiles[claims.profileArn]?.bindSourceIp == true,
            claims.sourceAddress != request.sourceAddress
        {
            throw STSFailure(
                .accessDenied, .sourceAddressMismatch,
                "profile binds the session to \(claims.sourceAddress ?? "?"), request from \(request.sourceAddress)",
                message: "The session may only be used from the address that created it.")
        }
        return verified
    }

    /// The `Action` parameter as sent, shortened, for the audit log.
    static func requestedActionName(_ request: SignedRequest) -> String? {
        STSAction.parameters(of: request)?.first { $0.name == "Action" }.map { String($0.value.prefix(64)) }
    }
}

/// The result of one STS request: what to answer, and what to audit.
public struct STSOutcome: Sendable {
    /// The recognised action, or nil when `Action` was missing or unknown.
    public var action: STSAction?
    /// `Action` as sent (at most 64 characters), for the audit log.
    public var requestedAction: String?
    public var result: Result<SessionIdentity, STSFailure>
    /// The session the token opened to, even when the request then failed (for the audit log; the
    /// secret inside is never written anywhere).
    public var session: SessionClaims?
    public var presigned: Bool

    public init(
        action: STSAction?, requestedAction: String?, result: Result<SessionIdentity, STSFailure>,
        session: SessionClaims?, presigned: Bool
    ) {
        self.action = action
        self.requestedAction = requestedAction
        self.result = result
        self.session = session
        self.presigned = presigned
    }

    /// The audit log's `operation`: the action's name, or `UnknownAction`.
    public var operation: String { action?.rawValue ?? "UnknownAction" }
}
