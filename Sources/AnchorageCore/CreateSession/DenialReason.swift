/// Why a CreateSession request was refused: a stable, machine-readable code.
///
/// The code is what the audit log's `reason` field, `anchorage explain` and the tests share. The caller
/// only ever sees the generic ``wireError``; the precise reason stays on the server.
public enum DenialReason: String, Sendable, CaseIterable {
    // Input that is not a well-formed CreateSession request (400 ValidationException).
    case malformedRequest = "malformed_request"
    case invalidDuration = "invalid_duration"
    case durationExceedsRoleMaximum = "duration_exceeds_role_maximum"

    // The request signature (403 "Invalid signature").
    case missingAuthentication = "missing_authentication"
    case malformedAuthorization = "malformed_authorization"
    case unsupportedAlgorithm = "unsupported_algorithm"
    case credentialScopeMismatch = "credential_scope_mismatch"
    case wrongRegion = "wrong_region"
    case dateMismatch = "date_mismatch"
    case clockSkew = "clock_skew"
    case serialMismatch = "serial_mismatch"
    case keyAlgorithmMismatch = "key_algorithm_mismatch"
    case signatureMismatch = "signature_mismatch"
    case unsignedRequiredHeader = "unsigned_required_header"
    /// The signed `Host` is not one of the server's names (``ServerNames``): a request meant for another
    /// service, or replayed at this one.
    case hostNotAccepted = "host_not_accepted"

    // The certificate and its path (403 "Untrusted Signing Certificate").
    case malformedCertificate = "malformed_certificate"
    case chainTooLong = "chain_too_long"
    case unknownTrustAnchor = "unknown_trust_anchor"
    case trustAnchorDisabled = "trust_anchor_disabled"
    case untrustedCertificate = "untrusted_certificate"
    case certificateExpired = "certificate_expired"
    case certificateNotYetValid = "certificate_not_yet_valid"
    case certificateRevoked = "certificate_revoked"
    /// Revoked with `anchorage revoke` (PKI/revocations.json), as opposed to a CRL.
    case certificateRevokedByAdministrator = "certificate_revoked_by_administrator"
    case leafNotVersion3 = "leaf_not_v3"
    case leafIsCA = "leaf_is_ca"
    case leafMissingDigitalSignature = "leaf_missing_digital_signature"
    case weakSignatureAlgorithm = "weak_signature_algorithm"
    case weakKey = "weak_key"

    // Authorization (403 "Access denied" unless noted).
    case unknownProfile = "unknown_profile"
    case profileDisabled = "profile_disabled"
    case roleNotInProfile = "role_not_in_profile"
    case unknownRole = "unknown_role"
    /// The profile or role is in another account than the trust anchor.
    case accountMismatch = "account_mismatch"
    /// The profile is in another region than the trust anchor.
    case regionMismatch = "region_mismatch"
    case trustPolicyNotAllowed = "trust_policy_not_allowed"
    case trustPolicyDenied = "trust_policy_denied"
    case roleSessionNameNotAllowed = "role_session_name_not_allowed"

    // Exhaustion (Limits/): 429 ThrottlingException "Rate exceeded", except a replay.
    case throttledSource = "throttled_source"
    case throttledCertificate = "throttled_certificate"
    case replayCacheFull = "replay_cache_full"
    /// A signed request already accepted inside its validity window (403 "Invalid signature").
    case replayedRequest = "replayed_request"

    // A brokered role (``Role/upstream``): Anchorage allowed, the upstream STS gave no credentials (UpstreamFailure).
    /// The upstream refused `AssumeRole` (403 "Access denied").
    case upstreamAccessDenied = "upstream_access_denied"
    /// The upstream throttled `AssumeRole` (429 ThrottlingException, retryable).
    case upstreamThrottled = "upstream_throttled"
    /// The upstream is unreachable, failed (5xx, after one retry), timed out, answered without complete
    /// credentials, or its credentials file is unreadable (503).
    case upstreamUnavailable = "upstream_unavailable"
    /// The shared store of replay and rate-limit state (`serve --shared-state`) did not answer in time and
    /// `--shared-state-failure closed` is in force: 503, retryable.
    case sharedStateUnavailable = "shared_state_unavailable"

    case internalError = "internal_error"

    /// What the caller is told: status, `X-Amzn-ErrorType` and the `message` body member.
    public var wireError: WireError {
        switch self {
        case .malformedRequest, .invalidDuration:
            return WireError(status: 400, type: "ValidationException", message: "Invalid request")
        case .durationExceedsRoleMaximum:
            return WireError(
                status: 400, type: "ValidationException",
                message: "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
        case .unsupportedAlgorithm:
            // Not a secret of the configuration: the client must learn that it speaks a variant we refuse.
            return WireError(
                status: 403, type: "AccessDeniedException",
                message: "Unsupported signing algorithm; use AWS4-X509-RSA-SHA256 or AWS4-X509-ECDSA-SHA256")
        case .missingAuthentication, .malformedAuthorization, .credentialScopeMismatch,
            .wrongRegion, .dateMismatch, .clockSkew, .serialMismatch, .keyAlgorithmMismatch, .signatureMismatch,
            .unsignedRequiredHeader, .hostNotAccepted:
            return WireError(status: 403, type: "AccessDeniedException", message: "Invalid signature")
        case .throttledSource, .throttledCertificate, .replayCacheFull, .replayedRequest:
            // AWS's rest-json throttling shape; the SDKs' and the helper's retryers back off and retry it.
            // A replay answers the same: RSA PKCS#1 v1.5 is deterministic, so an honest client that signs
            // the same request twice in one second sends identical bytes; told to retry, it signs afresh.
            // An attacker replaying captured bytes gains nothing from the retry hint.
            return WireError(status: 429, type: "ThrottlingException", message: "Rate exceeded")
        case .malformedCertificate, .chainTooLong, .unknownTrustAnchor, .trustAnchorDisabled, .untrustedCertificate,
            .certificateExpired, .certificateNotYetValid, .certificateRevoked, .certificateRevokedByAdministrator,
            .leafNotVersion3, .leafIsCA,
            .leafMissingDigitalSignature, .weakSignatureAlgorithm, .weakKey:
            return WireError(status: 403, type: "AccessDeniedException", message: "Untrusted Signing Certificate")
        case .unknownProfile, .profileDisabled, .roleNotInProfile, .unknownRole, .accountMismatch, .regionMismatch,
            .trustPolicyNotAllowed, .trustPolicyDenied:
            return WireError(status: 403, type: "AccessDeniedException", message: "Access denied")
        case .roleSessionNameNotAllowed:
            return WireError(
                status: 403, type: "AccessDeniedException", message: "Not authorized to set roleSessionName.")
        case .upstreamAccessDenied:
            return WireError(status: 403, type: "AccessDeniedException", message: "Access denied")
        case .upstreamThrottled:
            return WireError(status: 429, type: "ThrottlingException", message: "Rate exceeded")
        case .upstreamUnavailable, .sharedStateUnavailable:
            return WireError(
                status: 503, type: "ServiceUnavailableException", message: "Service unavailable; try again later")
        case .internalError:
            return WireError(status: 500, type: "InternalServerException", message: "Internal server error")
        }
    }
}

/// An error as AWS's rest-json protocol sends it.
public struct WireError: Equatable, Sendable {
    public var status: Int
    public var type: String
    public var message: String

    public init(status: Int, type: String, message: String) {
        self.status = status
        self.type = type
        self.message = message
    }
}
