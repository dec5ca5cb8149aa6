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
    /// Exchanges decisions for brokered roles into upstream STS credentials, off the event loops.
    public let upstreamBroker: UpstreamBroker
    /// Where replay and rate-limit state lives: this process (`createSession.admission`, the default) or
    /// Redis (`--shared-state`).
    public let admissionStore: (any AdmissionStore)?
    /// Why the shared state makes this replica not ready (`/readyz`), or nil.
    public let sharedStateProblem: @Sendable () -> String?
    /// Where issued sessions' certificates are recorded as Roles Anywhere subjects (nil: not recorded).
    public let subjects: SubjectStore?

    public init(
        configurations: ConfigurationStore, createSession: CreateSessionService, auditLog: AuditLog,
        clock: any WallClock = SystemClock(), logger: Logger = Logger(), metrics: Metrics = Metrics(),
        connectionCount: @escaping @Sendable () -> Int? = { nil }, upstreamBroker: UpstreamBroker? = nil,
        rolesAnywhere: (any RolesAnywhereRouting)? = nil, admissionStore: (any AdmissionStore)? = nil,
        sharedStateProblem: @escaping @Sendable () -> String? = { nil }, subjects: SubjectStore? = nil
    ) {
        self.upstreamBroker = upstreamBroker ?? UpstreamBroker(clock: clock)
        self.admissionStore = admissionStore ?? createSession.admission
        self.sharedStateProblem = sharedStateProblem
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
            // Answered at once, or — while a shared store decides — later, through `deliver`.
            let started = MonotonicTime.seconds
            let answer = DeferredAnswer()
            let metrics = metrics
            handleCreateSession(request, requestId: requestId) { response in
                var response = response
                response.headers.replaceOrAdd(name: "x-amzn-RequestId", value: requestId)
                metrics.observeLatency(route: "CreateSession", seconds: MonotonicTime.seconds - started)
                answer.deliver(response)
            }
            return answer.response()
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
            if !auditLog.isWritable {
                response = Self.text(503, "audit log not writable\n")
            } else if let problem = sharedStateProblem() {
                response = Self.text(503, problem + "\n")
            } else {
                response = Self.text(200, "ready\n")
            }
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

    /// Decides a CreateSession and hands its audited answer to `deliver`, exactly once: at once when every
    /// check is local, or from the shared store's thread once it decided (verification ran inline before).
    private func handleCreateSession(
        _ request: HTTPRequest, requestId: String, deliver: @escaping @Sendable (HTTPResponse) -> Void
    ) {
        let now = clock.milliseconds
        let seconds = now >= 0 ? now / 1000 : (now - 999) / 1000
        let signed = SignedRequest(
            method: request.method, rawPath: request.path, rawQuery: request.query, headers: request.headers.fields,
            body: request.body, sourceAddress: request.remoteAddress, lowercaseHeaderNames: request.lowercaseHeaderNames
        )
        let context = AnswerContext(
            requestId: requestId, timeMilliseconds: now, sourceAddress: request.remoteAddress,
            certificateBase64: signed.header("x-amz-x509"))
        let store = admissionStore
        let outcome: CreateSessionOutcome
        if let throttled = store?.admitSourceEarly(request.remoteAddress) {
            outcome = throttled
        } else if let contentType = signed.header("content-type"), !Self.isJSONMediaType(contentType) {
            outcome = CreateSessionOutcome(
                result: .denied(.malformedRequest), detail: "Content-Type \(contentType) is not JSON",
                subject: AuditSubject())
        } else {
            switch createSession.begin(
                signed, configuration: configurations.current, now: seconds,
                sourceInBatch: store?.checksSourceInBatch ?? false)
            {
            case .decided(let decided):
                outcome = decided
            case .admission(let batch, let pending):
                guard let store else {
                    outcome = createSession.finish(pending, verdict: .admitted)
                    break
                }
                store.admit(batch) { [self] verdict in
                    conclude(createSession.finish(pending, verdict: verdict), context, deliver: deliver)
                }
                return
            }
        }
        conclude(outcome, context, deliver: deliver)
    }

    /// What the answer to one CreateSession needs to know about its request, wherever it is concluded.
    struct AnswerContext: Sendable {
        var requestId: String
        var timeMilliseconds: Int64
        var sourceAddress: String
        /// The request's `X-Amz-X509` (base64 DER), kept for the subject record of an issued session.
        var certificateBase64: String?
    }

    /// Delivers the audited answer of a decided `outcome`; a brokered one first goes to its upstream STS, and is
    /// delivered from the upstream worker thread (AnchorageService+Upstream.swift).
    private func conclude(
        _ outcome: CreateSessionOutcome, _ context: AnswerContext, deliver: @escaping @Sendable (HTTPResponse) -> Void
    ) {
        if case .brokered(let session) = outcome.result {
            return exchangeBrokered(session, outcome: outcome, context, deliver: deliver)
        }
        deliver(audited(outcome, context))
    }

    /// Writes `outcome`'s audit record and builds the answer, held until the record is durable: no audit record,
    /// no answer. Also the end of a brokered request, on the upstream worker thread.
    func audited(_ outcome: CreateSessionOutcome, _ context: AnswerContext) -> HTTPResponse {
        let (requestId, now, sourceAddress) = (context.requestId, context.timeMilliseconds, context.sourceAddress)
        let record = AuditLog.createSessionLine(
            requestId: requestId, timeMilliseconds: now, sourceAddress: sourceAddress, outcome: outcome)
        // No audit record, no answer: an unaudited credential must never leave the server.
        guard let ticket = auditLog.write(line: record.bytes) else {
            metrics.countAuditUnavailable(operation: record.operation)
            logger.error(
                "audit log write failed", ["requestId": requestId, "error": auditLog.lastFailure ?? "unknown"])
            return Self.restJSONError(.auditUnavailable)
        }
        recordSubject(outcome, certificateBase64: context.certificateBase64, nowMilliseconds: now)
        let response: HTTPResponse
        switch outcome.result {
        case .issued(let issued):
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json")
            response = HTTPResponse(status: 201, headers: headers, body: issued.jsonBytes)
        case .denied(let reason):
            response = Self.restJSONError(reason.wireError)
        case .brokered:
            // Completed by exchangeBrokered before it is answered; never sent as such.
            response = Self.restJSONError(DenialReason.internalError.wireError)
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
