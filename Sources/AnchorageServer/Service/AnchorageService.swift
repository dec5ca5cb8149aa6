import AnchorageBasics
import AnchorageConfig
public import AnchorageControlPlane
public import AnchorageCore
import AnchorageCrypto
public import AnchorageHTTP
import Glibc

/// Routes HTTP requests to CreateSession, the STS query API and the health endpoints.
///
/// Synchronous and socket-free: the HTTP layer calls ``handle(_:)`` on its event loop, and tests call
/// it directly with request values.
public final class AnchorageService: HTTPHandler {
    public let configurations: ConfigurationStore
    public let createSession: CreateSessionService
    public let auditLog: AuditLog
    public let clock: any WallClock
    public let logger: Logger
    /// `POST /` and `GET /?Action=…`: GetCallerIdentity and GetSessionContext.
    public let sts: STSHandler
    /// The Roles Anywhere REST-JSON paths and IAM's `POST /` (credential scope `iam`).
    public let controlPlane: ControlPlaneHandler
    /// Counters and latency histograms, served by ``MetricsEndpoint`` on the metrics listener.
    public let metrics: Metrics
    /// Open API connections, for the metrics (set by `serve` once the HTTP server exists).
    public let connectionCount: @Sendable () -> Int?
    /// Where issued sessions' certificates are recorded as Roles Anywhere subjects (nil: not recorded).
    public let subjects: SubjectStore?

    public init(
        configurations: ConfigurationStore, createSession: CreateSessionService, auditLog: AuditLog,
        clock: any WallClock = SystemClock(), logger: Logger = Logger(), metrics: Metrics = Metrics(),
        connectionCount: @escaping @Sendable () -> Int? = { nil }, rolesAnywhere: (any RolesAnywhereRouting)? = nil,
        subjects: SubjectStore? = nil
    ) {
        self.subjects = subjects
        self.metrics = metrics
        self.connectionCount = connectionCount
        self.configurations = configurations
        self.createSession = createSession
        self.auditLog = auditLog
        self.clock = clock
        self.logger = logger
        var stsService = STSService(sharedKeyring: createSession.sharedKeyring)
        // One set of server names for both signed APIs.
        stsService.serverNames = createSession.serverNames
        self.sts = STSHandler(service: stsService)
        let loader = configurations.loader
        self.controlPlane = ControlPlaneHandler(
            sts: stsService,
            iam: IAMRoleAPI(
                writer: ConfigurationWriter(
                    pkiDirectory: loader.pkiDirectory, profilesDirectory: loader.profilesDirectory)),
            rolesAnywhere: rolesAnywhere)
    }

    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        let requestId = Self.makeRequestId()
        var response: HTTPResponse
        switch (request.method, request.path) {
        case ("POST", "/sessions"):
            let started = MonotonicTime.seconds
            response = handleCreateSession(request, requestId: requestId)
            metrics.observeLatency(route: "CreateSession", seconds: MonotonicTime.seconds - started)
        case (_, "/")
        where (request.method == "POST" || request.method == "GET")
            && ControlPlaneHandler.isIAMRequest(request):
            response = handleControlPlane(request, api: .iam, requestId: requestId)
        case ("POST", "/"), ("GET", "/"):
            let started = MonotonicTime.seconds
            response = sts.handle(
                request, requestId: requestId, configuration: configurations.current,
                nowMilliseconds: clock.milliseconds,
                auditLog: auditLog, logger: logger, metrics: metrics)
            metrics.observeLatency(route: "STS", seconds: MonotonicTime.seconds - started)
        // No `/metrics` here: it is served only on the metrics listener (``MetricsEndpoint``), so it falls
        // through to the 404 below like any unknown path.
        case ("GET", "/healthz"), ("HEAD", "/healthz"):
            response = Self.text(200, "ok\n")
        case ("GET", "/readyz"), ("HEAD", "/readyz"):
            response = auditLog.isWritable ? Self.text(200, "ready\n") : Self.text(503, "audit log not writable\n")
        case (_, "/sessions"):
            response = Self.restJSONError(
                WireError(status: 405, type: "MethodNotAllowedException", message: "Use POST for /sessions"))
        case (_, let path) where ControlPlaneHandler.isRolesAnywherePath(path):
            response = handleControlPlane(request, api: .rolesAnywhere, requestId: requestId)
        default:
            response = Self.restJSONError(
                WireError(status: 404, type: "UnknownOperationException", message: "Unknown operation"))
        }
        response.headers.replaceOrAdd(name: "x-amzn-RequestId", value: requestId)
        return response
    }

    private func handleControlPlane(_ request: HTTPRequest, api: ControlPlaneHandler.API, requestId: String)
        -> HTTPResponse
    {
        let started = MonotonicTime.seconds
        defer { metrics.observeLatency(route: "ControlPlane", seconds: MonotonicTime.seconds - started) }
        return controlPlane.handle(
            request, api: api, requestId: requestId, configuration: configurations.current,
            nowMilliseconds: clock.milliseconds, auditLog: auditLog, logger: logger, metrics: metrics)
    }

    public func malformedRequestResponse(status: Int, reason: String) -> HTTPResponse {
        var response = Self.restJSONError(WireError(status: status, type: "ValidationException", message: reason))
        let requestId = Self.makeRequestId()
        response.headers.replaceOrAdd(name: "x-amzn-RequestId", value: requestId)
        // Not audited (no endpoint was reached, nothing was decided); counted, so that hostile or broken
        // traffic shows in /metrics, and logged at debug level only, so that it cannot flood the log.
        metrics.count(operation: "HTTP", outcome: "rejected", reason: "http_\(status)")
        logger.log(
            .debug, "request refused before routing",
            ["requestId": requestId, "status": String(status), "reason": reason])
        return response
    }

    // MARK: - CreateSession

    private func handleCreateSession(_ request: HTTPRequest, requestId: String) -> HTTPResponse {
        let now = clock.milliseconds
        let signed = SignedRequest(
            method: request.method, rawPath: request.path, rawQuery: request.query, headers: request.headers.fields,
            body: request.body, sourceAddress: request.remoteAddress, lowercaseHeaderNames: request.lowercaseHeaderNames
        )
        var outcome: CreateSessionOutcome
        if let throttled = createSession.admission?.admitSource(request.remoteAddress) {
            outcome = throttled
        } else if let contentType = signed.header("content-type"), !Self.isJSONMediaType(contentType) {
            outcome = CreateSessionOutcome(
                result: .denied(.malformedRequest), detail: "Content-Type \(contentType) is not JSON",
                subject: AuditSubject())
        } else {
            outcome = createSession.createSession(
                signed, configuration: configurations.current, now: now >= 0 ? now / 1000 : (now - 999) / 1000)
        }
        let record = AuditLog.createSessionLine(
            requestId: requestId, timeMilliseconds: now, sourceAddress: request.remoteAddress, outcome: outcome)
        // No audit record, no answer: an unaudited credential must never leave the server.
        guard let ticket = auditLog.write(line: record.bytes) else {
            metrics.countAuditUnavailable(operation: record.operation)
            logger.error(
                "audit log write failed", ["requestId": requestId, "error": auditLog.lastFailure ?? "unknown"])
            return Self.restJSONError(.auditUnavailable)
        }
        recordSubject(outcome, signed, nowMilliseconds: now)
        let response: HTTPResponse
        switch outcome.result {
        case .issued(let issued):
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json")
            response = HTTPResponse(status: 201, headers: headers, body: issued.jsonBytes)
        case .denied(let reason):
            response = Self.restJSONError(reason.wireError)
        }
        return auditLog.holding(
            response, untilDurable: ticket, requestId: requestId, logger: logger, metrics: metrics,
            counted: record.counted
        ) {
            Self.restJSONError(.auditUnavailable)
        }
    }

    /// The audit log's flush (``AuditLog/commit(upTo:)``), on the HTTP server's commit thread.
    public func commit(upTo ticket: UInt64) -> Bool { auditLog.commit(upTo: ticket) }

    // MARK: - Responses

    static func restJSONError(_ error: WireError) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "X-Amzn-ErrorType", value: error.type)
        let body = JSONWriter.string(.object([JSONMember(key: "message", value: .string(error.message))]))
        return HTTPResponse(status: error.status, headers: headers, body: Array(body.utf8))
    }

    static func text(_ status: Int, _ body: String) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        return HTTPResponse(status: status, headers: headers, body: Array(body.utf8))
    }

    /// A random UUID (version 4), the form AWS request ids take.
    static func makeRequestId() -> String { RequestIdentifier.next() }
}
