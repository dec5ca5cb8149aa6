import AnchorageTestSupport
import Foundation
import Testing

/// HTTP edges over TLS against the real server (CONTRACT §4): health endpoints, rest-json errors for
/// unknown paths, wrong methods and malformed requests, `x-amzn-RequestId` on every response,
/// keep-alive, large header sections and the body limit. Every test runs its own server.
@Suite("HTTP edges end to end")
struct HTTPEdgeTests {
    /// A response printed by `http_probe.py`.
    struct Probed: CustomStringConvertible {
        let json: JSONValue
        var status: Int? { json["status"]?.number.map { Int($0) } }
        func header(_ name: String) -> String? { json["headers"]?[name.lowercased()]?.string }
        var body: String? { json["body"]?.string }
        var message: String? { json["json"]?["message"]?.string }
        var requestId: String? { header("x-amzn-requestid") }
        var description: String { json.description }
    }

    static func request(_ method: String, _ path: String, _ context: SharedServer.Context) async throws -> Probed {
        Probed(json: try await Clients.probe("request", ["--method", method, "--path", path], context))
    }

    static func raw(_ arguments: [String], _ context: SharedServer.Context) async throws -> Probed {
        Probed(json: try await Clients.probe("raw", arguments, context))
    }

    /// The rest-json error shape: status, `X-Amzn-ErrorType`, JSON `{"message": …}`, `x-amzn-RequestId`.
    static func expectRestJSONError(_ r: Probed, status: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == status, "\(r)", sourceLocation: sourceLocation)
        #expect(
            r.header("x-amzn-errortype")?.isEmpty == false, "X-Amzn-ErrorType missing: \(r)",
            sourceLocation: sourceLocation)
        #expect(r.message?.isEmpty == false, "body is not {\"message\": …}: \(r)", sourceLocation: sourceLocation)
        #expect(r.requestId?.isEmpty == false, "x-amzn-RequestId missing: \(r)", sourceLocation: sourceLocation)
    }

    @Test("GET /healthz is 200 ok, GET /readyz is 200, both with x-amzn-RequestId")
    func healthEndpoints() async throws {
        let context = try await OwnServer.start()
        let health = try await Self.request("GET", "/healthz", context)
        #expect(health.status == 200, "\(health)")
        #expect(health.body?.trimmingCharacters(in: .whitespacesAndNewlines) == "ok", "\(health)")
        #expect(health.requestId?.isEmpty == false, "\(health)")
        let ready = try await Self.request("GET", "/readyz", context)
        #expect(ready.status == 200, "\(ready)")
        #expect(ready.requestId?.isEmpty == false, "\(ready)")
        _ = await context.server.stop()
    }

    @Test("an unknown path is 404 and GET /sessions is 405, both rest-json errors")
    func unknownPathAndWrongMethod() async throws {
        let context = try await OwnServer.start()
        let unknown = try await Self.request("GET", "/no/such/path", context)
        Self.expectRestJSONError(unknown, status: 404)
        let postUnknown = try await Self.request("POST", "/session", context)
        Self.expectRestJSONError(postUnknown, status: 404)
        let get = try await Self.request("GET", "/sessions", context)
        Self.expectRestJSONError(get, status: 405)
        let put = try await Self.request("PUT", "/sessions", context)
        Self.expectRestJSONError(put, status: 405)
        _ = await context.server.stop()
    }

    @Test("a malformed request line and a bad Content-Length are 400 with a JSON message and a request id")
    func malformedRequests() async throws {
        let context = try await OwnServer.start()
        let line = try await Self.raw(["--data", #"GARBAGE\r\n\r\n"#], context)
        Self.expectRestJSONError(line, status: 400)
        let length = try await Self.raw(
            ["--data", #"POST /sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n"#], context)
        Self.expectRestJSONError(length, status: 400)
        let conflicting = try await Self.raw(
            [
                "--data",
                #"POST /sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"#,
            ],
            context)
        Self.expectRestJSONError(conflicting, status: 400)
        // The server is still fine afterwards.
        let r = try await Clients.raw(RawRequest(leaf: "leaf-ec-p256"), context)
        #expect(r.status == 201, "\(r.output)")
        _ = await context.server.stop()
    }

    @Test("three CreateSession requests on one TLS connection all get 201 (keep-alive)")
    func keepAlive() async throws {
        let context = try await OwnServer.start()
        let r = try await Clients.raw(RawRequest(leaf: "leaf-ec-p256", arguments: ["--repeat", "3"]), context)
        #expect(r.responses.count == 3, "\(r.output)")
        #expect(r.responses.allSatisfy { $0["status"]?.number == 201 }, "\(r.responses)")
        #expect(
            r.responses.allSatisfy { $0["connection"]?.string?.lowercased().contains("close") != true },
            "the server asked to close a keep-alive connection: \(r.responses)")
        let ids = r.responses.compactMap { $0["requestId"]?.string }
        #expect(Set(ids).count == 3, "three distinct x-amzn-RequestId values expected: \(ids)")
        for id in ids {
            #expect(try context.server.auditEntry(requestId: id)?["outcome"]?.string == "allowed", "audit for \(id)")
        }
        _ = await context.server.stop()
    }

    @Test("a ~41 KiB header section (5-certificate chain + a 36 KB signed header) is accepted")
    func largeHeaderSection() async throws {
        let context = try await OwnServer.start()
        let r = try await Clients.raw(
            RawRequest(
                leaf: "leaf-ec-p256-int", chain: ["chain-intermediate"],
                arguments: ["--chain-count", "5", "--extra-header", "X-Anchorage-Padding:@36000"]),
            context)
        #expect(r.status != 431, "a 41 KiB header section must not be refused as too large: \(r.body)")
        // Every header is signed and valid, so the only right answer is success.
        #expect(r.status == 201, "\(r.output.prefix(2000))")
        #expect(r.requestId?.isEmpty == false)

        // Past the limit (64 KiB) the answer is 431, still in the rest-json shape.
        let tooLarge = try await Clients.raw(
            RawRequest(leaf: "leaf-ec-p256", arguments: ["--extra-header", "X-Anchorage-Padding:@70000"]), context)
        #expect(tooLarge.status == 431, "\(tooLarge.output.prefix(2000))")
        #expect(tooLarge.json?["message"]?.string != nil, "\(tooLarge.body)")
        #expect(tooLarge.requestId?.isEmpty == false)
        _ = await context.server.stop()
    }

    @Test("a body over 1 MiB is 413, declared by Content-Length or streamed chunked")
    func bodyTooLarge() async throws {
        let context = try await OwnServer.start()
        let size = String(1_048_576 + 65_536)
        let declared = try await Self.raw(["--oversize-body", size, "--framing", "content-length"], context)
        Self.expectRestJSONError(declared, status: 413)
        let chunked = try await Self.raw(["--oversize-body", size, "--framing", "chunked"], context)
        Self.expectRestJSONError(chunked, status: 413)
        _ = await context.server.stop()
    }
}
