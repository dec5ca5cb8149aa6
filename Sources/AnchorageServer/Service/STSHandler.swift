public import AnchorageCore
import AnchorageHTTP

/// Answers the STS query API (`POST /` form and `GET /?Action=…`) and audits every attempt before
/// the response leaves (contract §5).
public struct STSHandler: Sendable {
    public let service: STSService

    public init(service: STSService) { self.service = service }

    func handle(
        _ request: HTTPRequest, requestId: String, configuration: Configuration, nowMilliseconds: Int64,
        auditLog: AuditLog, logger: Logger, metrics: Metrics? = nil
    ) -> HTTPResponse {
        let signed = SignedRequest(
            method: request.method, rawPath: request.path, rawQuery: request.query, headers: request.headers.fields,
            body: request.body, sourceAddress: request.remoteAddress, lowercaseHeaderNames: request.lowercaseHeaderNames
        )
        let now = nowMilliseconds >= 0 ? nowMilliseconds / 1000 : (nowMilliseconds - 999) / 1000
        let outcome = service.handle(signed, configuration: configuration, now: now)
        let json = STSResponse.wantsJSON(signed)
        let record = AuditLog.stsRecord(
            requestId: requestId, timeMilliseconds: nowMilliseconds, sourceAddress: request.remoteAddress,
            outcome: outcome)
        let unavailable: @Sendable () -> HTTPResponse = {
            Self.response(STSResponse.error(.auditUnavailable, requestId: requestId, json: json), 503)
        }
        guard let ticket = auditLog.write(line: AuditLog.line(record)) else {
            metrics?.countAuditUnavailable(operation: outcome.operation)
            logger.error(
                "audit log write failed", ["requestId": requestId, "error": auditLog.lastFailure ?? "unknown"])
            return unavailable()
        }
        let response: HTTPResponse
        switch outcome.result {
        case .success(let identity):
            // `session` is always set on success.
            let body = STSResponse.success(
                outcome.action ?? .getCallerIdentity, identity: identity, session: outcome.session!,
                requestId: requestId, json: json)
            response = Self.response(body, 200)
        case .failure(let failure):
            response = Self.response(
                STSResponse.error(failure.error, requestId: requestId, json: json), failure.error.status)
        }
        return auditLog.holding(
            response, untilDurable: ticket, requestId: requestId, logger: logger, metrics: metrics,
            counted: Metrics.Outcome(auditRecord: record), unavailable: unavailable)
    }

    static func response(_ body: STSResponse.Body, _ status: Int) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: body.contentType)
        return HTTPResponse(status: status, headers: headers, body: body.bytes)
    }
}

extension AuditLog {
    /// The audit record's `certificate` object for a request signed with a session's credentials: the certificate
    /// that session was issued to, as its claims keep it.
    static func certificateMember(of session: SessionClaims) -> JSONMember {
        JSONMember(
            key: "certificate",
            value: .object([
                JSONMember(key: "serialHex", value: .string(session.certificateSerialHex)),
                JSONMember(key: "subject", value: session.certificateSubject.map(JSONValue.string) ?? .null),
                JSONMember(key: "issuer", value: session.certificateIssuer.map(JSONValue.string) ?? .null),
                JSONMember(key: "sha256", value: .string(session.certificateSHA256)),
            ]))
    }

    /// The audit record of one STS request (operation `GetCallerIdentity`, `GetSessionContext` or
    /// `UnknownAction`). Holds no secret: never the secret key or the session token.
    public static func stsRecord(
        requestId: String, timeMilliseconds: Int64, sourceAddress: String, outcome: STSOutcome
    ) -> JSONValue {
        var members: [JSONMember] = [
            JSONMember(key: "time", value: .string(UTCTimestamp.iso8601Milliseconds(timeMilliseconds))),
            JSONMember(key: "requestId", value: .string(requestId)),
            JSONMember(key: "operation", value: .string(outcome.operation)),
        ]
        if outcome.action == nil, let requested = outcome.requestedAction {
            members.append(JSONMember(key: "action", value: .string(requested)))
        }
        switch outcome.result {
        case .success(let identity):
            members.append(JSONMember(key: "outcome", value: .string("allowed")))
            members.append(JSONMember(key: "reason", value: .null))
            members.append(JSONMember(key: "arn", value: .string(identity.arn)))
            members.append(JSONMember(key: "presigned", value: .bool(outcome.presigned)))
        case .failure(let failure):
            members.append(
                JSONMember(key: "outcome", value: .string(failure.reason == .internalError ? "error" : "denied")))
            members.append(JSONMember(key: "reason", value: .string(failure.reason.rawValue)))
            members.append(JSONMember(key: "detail", value: .string(failure.detail)))
            members.append(JSONMember(key: "errorCode", value: .string(failure.error.code.rawValue)))
        }
        members.append(JSONMember(key: "sourceAddress", value: .string(sourceAddress)))
        let session = outcome.session
        members.append(JSONMember(key: "trustAnchorArn", value: session.map { .string($0.trustAnchorArn) } ?? .null))
        members.append(JSONMember(key: "profileArn", value: session.map { .string($0.profileArn) } ?? .null))
        members.append(JSONMember(key: "roleArn", value: session.map { .string($0.roleArn) } ?? .null))
        if let session {
            members.append(certificateMember(of: session))
            members.append(JSONMember(key: "accessKeyId", value: .string(session.accessKeyId)))
            members.append(JSONMember(key: "expiration", value: .string(UTCTimestamp.iso8601(session.expiresAt))))
            members.append(JSONMember(key: "roleSessionName", value: .string(session.roleSessionName)))
            members.append(JSONMember(key: "sourceIdentity", value: .string(session.sourceIdentity)))
        } else {
            members.append(JSONMember(key: "certificate", value: .null))
        }
        return .object(members)
    }

    /// The audit record of a revocation taking effect (`Revoke`) or being lifted (`Unrevoke`) on this server.
    public static func revocationRecord(
        _ revocation: Revocation, added: Bool, timeMilliseconds: Int64, generation: Int
    ) -> JSONValue {
        var members: [JSONMember] = [
            JSONMember(key: "time", value: .string(UTCTimestamp.iso8601Milliseconds(timeMilliseconds))),
            JSONMember(key: "requestId", value: .null),
            JSONMember(key: "operation", value: .string(added ? "Revoke" : "Unrevoke")),
            JSONMember(key: "outcome", value: .string("allowed")),
            JSONMember(key: "reason", value: .null),
            JSONMember(key: "configurationGeneration", value: .number(String(generation))),
        ]
        members.append(JSONMember(key: "revocation", value: revocation.json))
        return .object(members)
    }
}
