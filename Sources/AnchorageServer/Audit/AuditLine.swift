public import AnchorageCore
import AnchorageHTTP

/// One audit line, serialised once: the bytes ``AuditLog`` appends and the fields ``Metrics`` counts.
///
/// ``AuditLog/createSessionLine(requestId:timeMilliseconds:sourceAddress:outcome:)`` writes it straight to
/// bytes, without a ``JSONValue`` tree (contract §5 lists the fields).
public struct AuditLine: Sendable {
    /// The JSON object followed by `\n`.
    public var bytes: [UInt8]
    public var operation: String
    public var outcome: String
    public var reason: String?

    /// The line without its newline, as text.
    public var text: String { String(decoding: bytes.dropLast(), as: UTF8.self) }
}

extension AuditLog {
    /// Makes `response` wait for the flush of audit record `ticket` (nothing to wait for unless
    /// ``needsCommit``): the event loop sends it after ``commit(upTo:)`` succeeds, and otherwise logs the
    /// failure and sends `unavailable()` (a 503 in the endpoint's error shape) with the same request id.
    ///
    /// `metrics` counts the request as `counted` (its audit record's operation, outcome and reason) when that
    /// is the answer, and as an `error` (``Metrics/auditUnavailableReason``) when the 503 is: once the flush
    /// is settled, or now when there is nothing to wait for.
    func holding(
        _ response: HTTPResponse, untilDurable ticket: UInt64, requestId: String, logger: Logger,
        metrics: Metrics?, counted: Metrics.Outcome, unavailable: @escaping @Sendable () -> HTTPResponse
    ) -> HTTPResponse {
        guard needsCommit else {
            metrics?.count(counted)
            return response
        }
        var held = response
        held.commit = HTTPCommit(
            ticket: ticket,
            fallback: { [self] in
                logger.error(
                    "audit log flush failed", ["requestId": requestId, "error": lastFailure ?? "unknown"])
                var replacement = unavailable()
                replacement.headers.replaceOrAdd(name: "x-amzn-RequestId", value: requestId)
                return replacement
            },
            settled: { committed in
                if committed {
                    metrics?.count(counted)
                } else {
                    metrics?.countAuditUnavailable(operation: counted.operation)
                }
            })
        return held
    }

    /// The audit line of one CreateSession attempt: `time`, `requestId`, `operation`, `outcome`, `reason`, then
    /// `accessKeyId`, `expiration`, `roleSessionName`, `sourceIdentity` (allowed) or `detail` (denied), then
    /// `upstream` (a brokered role's exchange, ``writeUpstream(_:into:)``), `sourceAddress`, the three ARNs and
    /// `certificate` (`serialHex`, `subject`, `issuer`, `sha256`) or null.
    /// Holds no secret: never the secret key or token.
    public static func createSessionLine(
        requestId: String, timeMilliseconds: Int64, sourceAddress: String, outcome: CreateSessionOutcome
    ) -> AuditLine {
        var w = JSONByteWriter(capacity: 768)
        let outcomeText: String
        let reason: String?
        w.beginObject()
        w.member("time", UTCTimestamp.iso8601Milliseconds(timeMilliseconds))
        w.member("requestId", requestId)
        w.member("operation", "CreateSession")
        switch outcome.result {
        case .issued(let response):
            outcomeText = "allowed"
            reason = nil
            w.member("outcome", outcomeText)
            w.key("reason")
            w.null()
            w.member("accessKeyId", response.credentials.accessKeyId)
            w.member("expiration", UTCTimestamp.iso8601(response.credentials.expiration))
            w.member("roleSessionName", lastPathComponent(response.assumedRoleArn))
            w.member("sourceIdentity", response.sourceIdentity)
        case .denied(let denial):
            outcomeText =
                denial == .internalError || denial == .upstreamUnavailable || denial == .sharedStateUnavailable
                ? "error" : "denied"
            reason = denial.rawValue
            w.member("outcome", outcomeText)
            w.member("reason", denial.rawValue)
            w.member("detail", outcome.detail)
        case .brokered:
            // Never written as such: the server completes a brokered decision before auditing it.
            outcomeText = "error"
            reason = DenialReason.internalError.rawValue
            w.member("outcome", outcomeText)
            w.member("reason", reason)
            w.member("detail", "brokered decision audited before its upstream exchange")
        }
        if let upstream = outcome.upstream { Self.writeUpstream(upstream, into: &w) }
        w.member("sourceAddress", sourceAddress)
        let subject = outcome.subject
        w.member("trustAnchorArn", subject.trustAnchorArn)
        w.member("profileArn", subject.profileArn)
        w.member("roleArn", subject.roleArn)
        w.key("certificate")
        if let certificate = subject.certificate {
            w.beginObject()
            w.member("serialHex", certificate.serialHex)
            w.member("subject", certificate.subject)
            w.member("issuer", certificate.issuer)
            w.member("sha256", certificate.sha256)
            w.endObject()
        } else {
            w.null()
        }
        w.endObject()
        var bytes = w.bytes
        bytes.append(0x0A)
        return AuditLine(bytes: bytes, operation: "CreateSession", outcome: outcomeText, reason: reason)
    }

    /// `"upstream": {"name", "requestId", "assumedRoleArn" | "errorCode", "attempts", "droppedTags"}`.
    static func writeUpstream(_ upstream: UpstreamExchange, into w: inout JSONByteWriter) {
        w.key("upstream")
        w.beginObject()
        w.member("name", upstream.name)
        w.member("requestId", upstream.requestId)
        if let arn = upstream.assumedRoleArn { w.member("assumedRoleArn", arn) }
        if let code = upstream.errorCode { w.member("errorCode", code) }
        w.key("attempts")
        w.integer(upstream.attempts)
        w.key("droppedTags")
        w.beginArray()
        for key in upstream.droppedTagKeys { w.string(key) }
        w.endArray()
        w.endObject()
    }

    /// `text.split(separator: "/").last.map(String.init) ?? ""`, without the intermediate array.
    static func lastPathComponent(_ text: String) -> String {
        let utf8 = text.utf8
        var end = utf8.endIndex
        while end > utf8.startIndex, utf8[utf8.index(before: end)] == UInt8(ascii: "/") {
            end = utf8.index(before: end)
        }
        var start = end
        while start > utf8.startIndex, utf8[utf8.index(before: start)] != UInt8(ascii: "/") {
            start = utf8.index(before: start)
        }
        return String(text[start..<end])
    }
}

extension AuditLine {
    /// What ``Metrics`` counts for this line when it is the answer.
    var counted: Metrics.Outcome { Metrics.Outcome(operation: operation, outcome: outcome, reason: reason) }
}
