import Foundation
import Glibc
import Synchronization

@testable import AnchorageHTTP

/// Echoes the request back: method, target and body length in headers, the body as the body.
/// `/slow` sleeps first (to test shutdown with a request in flight); `/thread` answers with the loop thread's id.
struct EchoHandler: HTTPHandler {
    let calls = Counter()

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        calls.increment()
        switch request.path {
        case "/slow":
            Thread.sleep(forTimeInterval: 0.5)
        case "/thread":
            return HTTPResponse(status: 200, body: Array(String(describing: pthread_self()).utf8))
        case "/big":
            return HTTPResponse(status: 200, body: [UInt8](repeating: UInt8(ascii: "b"), count: 100_000))
        case "/close":
            return HTTPResponse(status: 200, headers: ["Connection": "close"], body: Array("bye".utf8))
        default:
            break
        }
        return HTTPResponse(
            status: 200,
            headers: [
                "X-Method": request.method, "X-Target": request.target, "X-Query": request.query ?? "-",
                "X-Body-Length": String(request.body.count), "X-Remote": request.remoteAddress,
            ],
            body: request.body)
    }
}

final class Counter: Sendable {
    private let value = Atomic<Int>(0)
    func increment() { value.add(1, ordering: .relaxed) }
    var count: Int { value.load(ordering: .relaxed) }
}

/// Starts a server for one test and always shuts it down.
func withServer<T>(
    _ configuration: HTTPServerConfiguration = HTTPServerConfiguration(), handler: any HTTPHandler = EchoHandler(),
    _ body: (HTTPServer, Int) throws -> T
) throws -> T {
    let server = HTTPServer(configuration: configuration, handler: handler)
    let (_, port) = try server.start()
    defer { server.shutdown(gracePeriod: 1) }
    return try body(server, port)
}

/// The same server twice: plain HTTP and TLS (``TestCertificate``), with `eventLoops` loops (default: the server's).
func plainAndTLS(eventLoops: Int? = nil) -> [HTTPServerConfiguration] {
    var plain = HTTPServerConfiguration()
    if let eventLoops { plain.eventLoopCount = eventLoops }
    var tls = plain
    tls.tls = TestCertificate.serverContext
    return [plain, tls]
}

/// A client of a server started with `configuration` on 127.0.0.1:`port` (TLS without verification when it has TLS).
func localClient(_ configuration: HTTPServerConfiguration, _ port: Int) throws -> HTTPClientConnection {
    try HTTPClientConnection(
        host: "127.0.0.1", port: port,
        tls: configuration.tls == nil ? nil : TLSClientConfiguration(verifyPeer: false), timeout: 5)
}

func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// A throwaway self-signed P-256 certificate for localhost and 127.0.0.1, made once per test process.
enum TestCertificate {
    struct Files: Sendable {
        let certificate: String
        let key: String
    }

    static let files: Files = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "anchorage-http-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let key = directory.appendingPathComponent("k.pem").path
        let certificate = directory.appendingPathComponent("c.pem").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-days", "2",
            "-keyout", key, "-out", certificate,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try! process.run()
        process.waitUntilExit()
        precondition(process.terminationStatus == 0, "openssl req failed")
        return Files(certificate: certificate, key: key)
    }()

    static let serverContext: TLSServerContext = {
        try! TLSServerContext(certificateChainFile: files.certificate, privateKeyFile: files.key)
    }()
}
