import AnchorageBasics
import AnchorageConfig
public import AnchorageControlPlane
public import AnchorageCore
public import AnchorageHTTP

/// The HTTP side of the control plane: the Roles Anywhere REST-JSON paths and IAM's `POST /` (told from STS by
/// the credential scope's service), authenticated with Anchorage-issued credentials exactly as STS
/// authenticates them (``STSService/authenticate(_:configuration:now:service:session:)``: signature, server name,
/// expiry, revocation, source-address binding), authorized per call by ``IdentityPolicyAuthorizer``, and audited
/// before the response leaves (contract §5).
public struct ControlPlaneHandler: Sendable {
    /// Which API a request is for.
    public enum API: String, Sendable {
        case iam
        case rolesAnywhere = "rolesanywhere"

        /// The credential scope's service the request must be signed for.
        var signingService: String { rawValue }
    }

    /// Authenticates every call (the STS service's keyring, verifier and server names).
    public let sts: STSService
    public let iam: IAMRoleAPI
    /// The Roles Anywhere REST-JSON API; nil answers its paths with 404 `UnknownOperationException`.
    public let rolesAnywhere: (any RolesAnywhereRouting)?

    public init(sts: STSService, iam: IAMRoleAPI, rolesAnywhere: (any RolesAnywhereRouting)?) {
        self.sts = sts
        self.iam = iam
        self.rolesAnywhere = rolesAnywhere
    }

    /// The first path segments of the `rolesanywhere` 2018-05-10 operations (none collides with `/sessions`,
    /// `/healthz` or `/readyz`).
    static let rolesAnywhereRoots: Set<String> = [
        "trustanchors", "trustanchor", "profiles", "profile", "crls", "crl", "subjects", "subject", "TagResource",
        "UntagResource", "ListTagsForResource", "put-notifications-settings", "reset-notifications-settings",
    ]

    /// Whether `path` is one of the Roles Anywhere control plane's.
    public static func isRolesAnywherePath(_ path: String) -> Bool {
        guard path.hasPrefix("/") else { return false }
        let root = path.dropFirst().prefix { $0 != "/" }
        return rolesAnywhereRoots.contains(String(root))
    }

    /// Whether a `POST /` or `GET /` request is for IAM: signed for the `iam` service (else it stays STS's, whose
    /// errors answer unsigned and malformed requests exactly as before).
    public static func isIAMRequest(_ request: HTTPRequest) -> Bool {
        for field in request.headers.fields where ASCII.lowercased(field.name) == "authorization" {
            // Most `POST /` requests are STS's: parse only what can be an `iam` scope.
            guard field.value.contains("/iam/aws4_request") else { return false }
            return (try? SigV4Authorization.parse(field.value))?.scope.service == "iam"
        }
        if let query = request.query, query.contains("X-Amz-Credential") {
            return (try? SigV4Authorization.parsePresigned(rawQuery: query))?.scope.service == "iam"
        }
        return false
    }

    func handle(
        _ request: HTTPRequest, api: API, requestId: String, configuration: Configuration, nowMilliseconds: Int64,
        auditLog: AuditLog, logger: Logger, metrics: Metrics?
    ) -> HTTPResponse {
        let signed = SignedRequest(
            method: request.method, rawPath: request.path, rawQuery: request.query, headers: request.headers.fields,
            body: request.body, sourceAddress: request.remoteAddress, lowercaseHeaderNames: request.lowercaseHeaderNames
        )
        let now = nowMilliseconds >= 0 ? nowMilliseconds / 1000 : (nowMilliseconds - 999) / 1000
        let iamParameters = api == .iam ? Self.iamParameters(request) : nil
        // The record is written after the call ran: while the log is known to fail, a call could change a file
        // with no record of it, so none runs.
        guard auditLog.isWritable else {
            let action = Self.requestedAction(api: api, iamParameters: iamParameters)
            metrics?.countAuditUnavailable(operation: Self.metricsOperation(action, api: api))
            logger.error(
                "audit log not writable: control-plane call refused",
                ["requestId": requestId, "error": auditLog.lastFailure ?? "unknown"])
            return Self.authenticationError(STSError(.serviceUnavailable), api: api, requestId: requestId)
        }
        var session: SessionClaims?
        var response: HTTPResponse
        var facts: ControlPlaneAuditFacts
        do throws(STSFailure) {
            let verified = try sts.authenticate(
                signed, configuration: configuration, now: now, service: api.signingService, session: &session)
            let claims = verified.principal
            guard let identity = SessionIdentity(claims: claims) else {
                throw STSFailure(.internalFailure, .internalError, "session role ARN \(claims.roleArn) does not parse")
            }
            let caller = ControlPlaneCaller(
                claims: claims, account: identity.account, region: verified.scope.region,
                sourceAddress: request.remoteAddress)
            let authorizer = IdentityPolicyAuthorizer(configuration: configuration, now: now)
            let answer: ControlPlaneResponse
            switch api {
            case .iam:
                if let parameters = iamParameters {
                    answer = iam.handle(
                        parameters: parameters, caller: caller, authorizer: authorizer, requestId: requestId, now: now)
                } else {
                    let error = ControlPlaneError(
                        type: "MalformedQueryString", status: 400, message: "The request body is not a form.",
                        reason: "malformed_request")
                    answer = ControlPlaneResponse(
                        status: 400, headers: [("Content-Type", "text/xml")],
                        body: IAMXML.error(code: error.type, message: error.message, status: 400, requestId: requestId),
                        audit: ControlPlaneAuditFacts(
                            action: "iam:Unknown", resource: nil, outcome: "error", reason: error.reason))
                }
            case .rolesAnywhere:
                answer =
                    rolesAnywhere?.handle(
                        method: request.method, path: request.path, rawQuery: request.query, body: request.body,
                        caller: caller, authorizer: authorizer)
                    ?? Self.unknownOperation(request)
            }
            var headers = HTTPHeaders()
            for header in answer.headers { headers.add(name: header.name, value: header.value) }
            response = HTTPResponse(status: answer.status, headers: headers, body: answer.body)
            facts = answer.audit
        } catch {
            let action = Self.requestedAction(api: api, iamParameters: iamParameters)
            facts = ControlPlaneAuditFacts(
                action: action, resource: nil, outcome: error.reason == .internalError ? "error" : "denied",
                reason: error.reason.rawValue, detail: error.detail)
            response = Self.authenticationError(error.error, api: api, requestId: requestId)
        }
        let record = AuditLog.controlPlaneRecord(
            requestId: requestId, timeMilliseconds: nowMilliseconds, sourceAddress: request.remoteAddress,
            api: api, facts: facts, session: session)
        let unavailable: @Sendable () -> HTTPResponse = {
            Self.authenticationError(STSError(.serviceUnavailable), api: api, requestId: requestId)
        }
        guard let ticket = auditLog.write(line: AuditLog.line(record)) else {
            metrics?.countAuditUnavailable(operation: Self.metricsOperation(facts.action, api: api))
            logger.error(
                "audit log write failed", ["requestId": requestId, "error": auditLog.lastFailure ?? "unknown"])
            return unavailable()
        }
        return auditLog.holding(
            response, untilDurable: ticket, requestId: requestId, logger: logger, metrics: metrics,
            counted: Metrics.Outcome(
                operation: Self.metricsOperation(facts.action, api: api), outcome: facts.outcome, reason: facts.reason),
            unavailable: unavailable)
    }

    /// The action of a call refused before it ran: IAM's `Action` as sent (shortened), or `rolesanywhere:Unknown`.
    static func requestedAction(api: API, iamParameters: [(name: String, value: String)]?) -> String {
        guard api == .iam else { return "rolesanywhere:Unknown" }
        return "iam:" + String((iamParameters?.first { $0.name == "Action" }?.value ?? "Unknown").prefix(64))
    }

    /// The operation the metrics count: the audit log's, except that an IAM action nobody serves is
    /// `UnknownAction` (its name is the caller's text, and metric labels must stay a small set).
    static func metricsOperation(_ action: String, api: API) -> String {
        let operation = operation(action)
        return api == .iam && !IAMRoleAPI.actions.contains(operation) ? "UnknownAction" : operation
    }

    /// IAM's parameters: the form body of a `POST`, the query of a `GET` (without the presigning parameters);
    /// nil when the form does not decode.
    static func iamParameters(_ request: HTTPRequest) -> [(name: String, value: String)]? {
        if request.method == "POST" {
            return QueryParameters.parse(String(decoding: request.body, as: UTF8.self))
        }
        return QueryParameters.parse(request.query)?.filter { !$0.name.hasPrefix("X-Amz-") }
    }

    static func unknownOperation(_ request: HTTPRequest) -> ControlPlaneResponse {
        let error = WireError(status: 404, type: "UnknownOperationException", message: "Unknown operation")
        let response = AnchorageService.restJSONError(error)
        return ControlPlaneResponse(
            status: 404, headers: response.headers.fields, body: response.body,
            audit: ControlPlaneAuditFacts(
                action: "rolesanywhere:Unknown", resource: nil, outcome: "error", reason: "unknown_operation",
                detail: "\(request.method) \(request.path.prefix(128))"))
    }

    /// An authentication failure in the API's own shape: IAM's XML error, or the REST-JSON error with the type
    /// names AWS's REST-JSON services use for the same failures. The message is the generic one; the reason is
    /// in the audit log only.
    static func authenticationError(_ error: STSError, api: API, requestId: String) -> HTTPResponse {
        switch api {
        case .iam:
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "text/xml")
            return HTTPResponse(
                status: error.status, headers: headers,
                body: IAMXML.error(
                    code: error.code.rawValue, message: error.message, status: error.status, requestId: requestId))
        case .rolesAnywhere:
            let type: String
            switch error.code {
            case .invalidClientTokenId: type = "UnrecognizedClientException"
            case .expiredToken: type = "ExpiredTokenException"
            case .signatureDoesNotMatch: type = "InvalidSignatureException"
            case .incompleteSignature: type = "IncompleteSignatureException"
            case .missingAuthenticationToken: type = "MissingAuthenticationTokenException"
            case .accessDenied: type = "AccessDeniedException"
            case .invalidAction: type = "UnknownOperationException"
            case .internalFailure: type = "InternalServerException"
            case .serviceUnavailable: type = "ServiceUnavailableException"
            }
            return AnchorageService.restJSONError(WireError(status: error.status, type: type, message: error.message))
        }
    }

    /// `CreateRole` for `iam:CreateRole`: the audit log's `operation`.
    static func operation(_ action: String) -> String {
        action.split(separator: ":", maxSplits: 1).last.map(String.init) ?? action
    }
}

extension AuditLog {
    /// The audit record of one control-plane call: `time`, `requestId`, `operation`, `outcome`, `reason`, `detail`
    /// (on denial or error), `api`, `action`, `resource`, `principal` (the assumed-role ARN), `sourceAddress`, the
    /// session's three ARNs, `certificate` and `accessKeyId`. Holds no secret.
    public static func controlPlaneRecord(
        requestId: String, timeMilliseconds: Int64, sourceAddress: String, api: ControlPlaneHandler.API,
        facts: ControlPlaneAuditFacts, session: SessionClaims?
    ) -> JSONValue {
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        var members: [JSONMember] = [
            JSONMember(key: "time", value: .string(UTCTimestamp.iso8601Milliseconds(timeMilliseconds))),
            JSONMember(key: "requestId", value: .string(requestId)),
            JSONMember(key: "operation", value: .string(ControlPlaneHandler.operation(facts.action))),
            JSONMember(key: "outcome", value: .string(facts.outcome)),
            JSONMember(key: "reason", value: text(facts.reason)),
        ]
        if let detail = facts.detail { members.append(JSONMember(key: "detail", value: .string(detail))) }
        members += [
            JSONMember(key: "api", value: .string(api.rawValue)),
            JSONMember(key: "action", value: .string(facts.action)),
            JSONMember(key: "resource", value: text(facts.resource)),
            JSONMember(key: "principal", value: text(session.flatMap { SessionIdentity(claims: $0)?.arn })),
            JSONMember(key: "sourceAddress", value: .string(sourceAddress)),
            JSONMember(key: "trustAnchorArn", value: text(session?.trustAnchorArn)),
            JSONMember(key: "profileArn", value: text(session?.profileArn)),
            JSONMember(key: "roleArn", value: text(session?.roleArn)),
        ]
        if let session {
            members.append(AuditLog.certificateMember(of: session))
            members.append(JSONMember(key: "accessKeyId", value: .string(session.accessKeyId)))
        } else {
            members.append(JSONMember(key: "certificate", value: .null))
        }
        return .object(members)
    }
}
