import AnchorageCrypto

/// A CreateSession that verified and was authorized, waiting for its ``AdmissionBatch`` to be decided.
public struct PendingSession: Sendable {
    let authorization: CreateSessionService.Authorization
    let request: SessionRequest
    let subject: AuditSubject
    let now: Int64
    /// Set for a role with an upstream (``Role/upstream``): once admitted, the upstream issues the credentials.
    let brokered: BrokeredSession?
}

/// Where a CreateSession stands after the checks that need no other request.
public enum CreateSessionStart: Sendable {
    /// Refused before admission.
    case decided(CreateSessionOutcome)
    /// Verified and authorized: the store decides `batch`, then ``CreateSessionService/finish(_:verdict:)``.
    case admission(AdmissionBatch, PendingSession)
}

extension CreateSessionService {
    /// The verifying and authorizing part of ``createSession(_:configuration:now:)``: everything but the
    /// checks that depend on other requests. `sourceInBatch`: whether the batch carries the source key
    /// (the store checks it there rather than before parsing).
    public func begin(_ request: SignedRequest, configuration: Configuration, now: Int64, sourceInBatch: Bool)
        -> CreateSessionStart
    {
        var subject = AuditSubject()
        do {
            let (authorization, sessionRequest, keys) = try verifyAndAuthorize(
                request, configuration: configuration, now: now, subject: &subject)
            // Looked up before admission: a missing upstream is a refusal, not a spent request.
            let brokered =
                authorization.role.upstream == nil
                ? nil : try brokeredSession(authorization, request: sessionRequest, configuration: configuration)
            let pending = PendingSession(
                authorization: authorization, request: sessionRequest, subject: subject, now: now, brokered: brokered)
            let batch = AdmissionBatch(
                sourceKey: sourceInBatch ? RequestAdmission.sourceKey(request.sourceAddress) : nil,
                certificateKey: keys.certificate, replayKey: keys.replay, replayExpiresAt: keys.replayExpiresAt,
                now: now)
            return .admission(batch, pending)
        } catch {
            return .decided(CreateSessionOutcome(result: .denied(error.reason), detail: error.detail, subject: subject))
        }
    }

    /// Mints for an admitted `pending` session, or refuses it as the store decided.
    public func finish(_ pending: PendingSession, verdict: AdmissionVerdict) -> CreateSessionOutcome {
        switch verdict {
        case .admitted:
            if let brokered = pending.brokered {
                return CreateSessionOutcome(
                    result: .brokered(brokered), detail: "allowed; brokered through upstream \(brokered.upstream.name)",
                    subject: pending.subject)
            }
            let response = mint(pending.authorization, request: pending.request, now: pending.now)
            return CreateSessionOutcome(result: .issued(response), detail: "issued", subject: pending.subject)
        case .denied(let reason, let detail):
            return CreateSessionOutcome(result: .denied(reason), detail: detail, subject: pending.subject)
        case .unavailable(let detail):
            return CreateSessionOutcome(
                result: .denied(.sharedStateUnavailable), detail: detail, subject: pending.subject)
        }
    }

    /// The admission keys of a verified request.
    struct AdmissionKeys {
        var certificate: LimitKey
        var replay: LimitKey
        var replayExpiresAt: Int64
    }

    static func admissionKeys(
        leaf: Certificate, stringToSign: String, signature: [UInt8], algorithm: X509SigningAlgorithm,
        requestTime: Int64, allowedClockSkew: Int64
    ) -> AdmissionKeys {
        AdmissionKeys(
            certificate: LimitKey(
                prefixOf: Hex.decode(leaf.sha256Fingerprint) ?? Digest.sha256(leaf.sha256Fingerprint)),
            replay: RequestAdmission.replayKey(
                certificateSHA256: leaf.sha256Fingerprint, stringToSign: stringToSign, signature: signature,
                algorithm: algorithm),
            replayExpiresAt: requestTime + allowedClockSkew)
    }
}
