import AnchorageCore
public import AnchorageHTTP

/// `GET /metrics` on its own listener (`serve --metrics-listen`, loopback by default), never on the API's.
///
/// The exposition names every trust anchor (and so every tenant account) and counts denials by their precise
/// reason, which the API withholds from a refused caller: it is for the operator's scraper, not for clients.
/// Everything else on this listener is 404.
public final class MetricsEndpoint: HTTPHandler {
    private let service: AnchorageService

    /// Serves `service`'s metrics: its counters, configuration, audit log and connection count.
    public init(service: AnchorageService) { self.service = service }

    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        switch (request.method, request.path) {
        case ("GET", "/metrics"), ("HEAD", "/metrics"):
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")
            let text = service.metrics.render(
                configurations: service.configurations, connections: service.connectionCount(),
                audit: (service.auditLog.recordCount, service.auditLog.flushCount), now: service.clock.seconds)
            return HTTPResponse(status: 200, headers: headers, body: Array(text.utf8))
        default:
            return AnchorageService.text(404, "not found; this listener serves GET /metrics only\n")
        }
    }
}
