/// An STS error as the query protocol sends it: HTTP status, `Error/Code`, `Error/Type` and a message.
public struct STSError: Error, Equatable, Sendable {
    /// The error codes Anchorage answers with (AWS STS's wire codes).
    public enum Code: String, Sendable, CaseIterable {
        case invalidClientTokenId = "InvalidClientTokenId"
        case expiredToken = "ExpiredToken"
        case signatureDoesNotMatch = "SignatureDoesNotMatch"
        case incompleteSignature = "IncompleteSignature"
        case missingAuthenticationToken = "MissingAuthenticationToken"
        case accessDenied = "AccessDenied"
        case invalidAction = "InvalidAction"
        case internalFailure = "InternalFailure"
        /// The request could not be served now (e.g. its audit record could not be written); retryable.
        case serviceUnavailable = "ServiceUnavailable"

        /// The HTTP status STS uses for the code.
        public var status: Int {
            switch self {
            case .invalidClientTokenId, .signatureDoesNotMatch, .missingAuthenticationToken, .accessDenied: return 403
            case .expiredToken, .incompleteSignature, .invalidAction: return 400
            case .internalFailure: return 500
            case .serviceUnavailable: return 503
            }
        }

        /// STS's usual message for the code.
        public var defaultMessage: String {
            switch self {
            case .invalidClientTokenId: return "The security token included in the request is invalid."
            case .expiredToken: return "The security token included in the request is expired"
            case .signatureDoesNotMatch:
                return "The request signature we calculated does not match the signature you provided. "
                    + "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
            case .incompleteSignature: return "Request must contain a signature that conforms to AWS standards."
            case .missingAuthenticationToken: return "Request is missing Authentication Token"
            case .accessDenied: return "Access denied"
            case .invalidAction: return "Could not find operation for version 2011-06-15"
            case .internalFailure: return "An internal error occurred."
            case .serviceUnavailable: return "The request has failed due to a temporary failure of the server."
            }
        }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, message: String? = nil) {
        self.code = code
        self.message = message ?? code.defaultMessage
    }

    public var status: Int { code.status }
    /// `Sender` for the caller's mistakes, `Receiver` for ours.
    public var type: String { code == .internalFailure || code == .serviceUnavailable ? "Receiver" : "Sender" }
}

/// Why an STS request was refused: the wire error plus a stable reason code and a detail for the
/// audit log (never sent to the caller).
public struct STSFailure: Error, Sendable {
    /// Stable, machine-readable reasons shared by the audit log, tests and documentation.
    public enum Reason: String, Sendable, CaseIterable {
        case missingAuthentication = "missing_authentication"
        case malformedAuthorization = "malformed_authorization"
        case unsupportedAlgorithm = "unsupported_algorithm"
        case ambiguousAuthentication = "ambiguous_authentication"
        case unsignedRequiredHeader = "unsigned_required_header"
        case credentialScopeMismatch = "credential_scope_mismatch"
        case dateMismatch = "date_mismatch"
        case signatureExpired = "signature_expired"
        case signatureNotYetCurrent = "signature_not_yet_current"
        case missingSecurityToken = "missing_security_token"
        case invalidToken = "invalid_token"
        case accessKeyMismatch = "access_key_mismatch"
        case payloadHashMismatch = "payload_hash_mismatch"
        case signatureMismatch = "signature_mismatch"
        /// The signed `Host` is not one of the server's names (``ServerNames``).
        case hostNotAccepted = "host_not_accepted"
        case expiredToken = "expired_token"
        case revoked = "revoked"
        case sourceAddressMismatch = "source_address_mismatch"
        case invalidAction = "invalid_action"
        case internalError = "internal_error"
    }

    public var error: STSError
    public var reason: Reason
    /// The precise cause, for the audit log only.
    public var detail: String

    public init(_ code: STSError.Code, _ reason: Reason, _ detail: String, message: String? = nil) {
        self.error = STSError(code, message: message)
        self.reason = reason
        self.detail = detail
    }
}
