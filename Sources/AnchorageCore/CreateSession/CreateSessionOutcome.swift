/// The result of one CreateSession attempt: what to answer, and what to audit.
public struct CreateSessionOutcome: Sendable {
    /// Issued credentials, or the reason for refusing.
    public enum Result: Sendable {
        case issued(CreateSessionResponse)
        case denied(DenialReason)
        /// Allowed for a brokered role: the upstream STS is still to be asked (``completed(_:answer:attempts:)``
        /// makes the final outcome). Never audited or answered as such.
        case brokered(BrokeredSession)
    }

    public var result: Result
    /// The precise cause, for the audit log only — never sent to the caller.
    public var detail: String
    /// What the request named and presented, as far as it was understood before the decision.
    public var subject: AuditSubject
    /// The upstream exchange of a brokered role, once it happened.
    public var upstream: UpstreamExchange?

    public init(result: Result, detail: String, subject: AuditSubject) {
        self.result = result
        self.detail = detail
        self.subject = subject
    }

    /// The denial reason, or nil when credentials were issued.
    public var denialReason: DenialReason? {
        if case .denied(let reason) = result { return reason }
        return nil
    }
}

/// The identifying facts of a request, for the audit log (contract §5).
public struct AuditSubject: Sendable {
    public var trustAnchorArn: String?
    public var profileArn: String?
    public var roleArn: String?
    public var certificate: CertificateSummary?

    public init(
        trustAnchorArn: String? = nil, profileArn: String? = nil, roleArn: String? = nil,
        certificate: CertificateSummary? = nil
    ) {
        self.trustAnchorArn = trustAnchorArn
        self.profileArn = profileArn
        self.roleArn = roleArn
        self.certificate = certificate
    }
}

/// The public facts of the signing certificate that the audit log records.
public struct CertificateSummary: Sendable, Equatable {
    public var serialHex: String
    public var subject: String
    public var issuer: String
    public var sha256: String

    public init(serialHex: String, subject: String, issuer: String, sha256: String) {
        self.serialHex = serialHex
        self.subject = subject
        self.issuer = issuer
        self.sha256 = sha256
    }
}
