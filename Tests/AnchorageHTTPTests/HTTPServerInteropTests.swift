import Foundation
import Testing

@testable import AnchorageHTTP

@Suite struct HTTPServerInteropTests {
    /// Runs curl (when installed) and returns its stdout, or nil when curl is unavailable.
    private func curl(_ arguments: [String]) throws -> String? {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/curl") else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-sS", "--max-time", "5"] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test func curlSpeaksToPlainAndTLSServers() throws {
        let body = String(repeating: "x", count: 5000)
        try withServer { _, port in
            let out = try curl([
                "-H", "Expect: 100-continue", "-H", "Content-Type: text/plain", "--data-binary", body,
                "-D", "-", "http://127.0.0.1:\(port)/echo?a=b",
            ])
            guard let out else { return }
            #expect(out.contains("HTTP/1.1 100 Continue"))
            #expect(out.contains("X-Target: /echo?a=b"))
            #expect(out.hasSuffix(body))
            let chunked = try curl([
                "-H", "Transfer-Encoding: chunked", "--data-binary", "hello", "http://127.0.0.1:\(port)/",
            ])
            #expect(chunked == "hello")
            let old = try curl(["--http1.0", "-D", "-", "http://127.0.0.1:\(port)/"])
            #expect(old?.contains("HTTP/1.1 200 OK") == true)
        }
        var configuration = HTTPServerConfiguration()
        configuration.tls = TestCertificate.serverContext
        try withServer(configuration) { _, port in
            let out = try curl([
                "--cacert", TestCertificate.files.certificate, "--http1.1", "--data-binary", "tls",
                "https://localhost:\(port)/",
            ])
            #expect(out == nil || out == "tls")
        }
    }

    @Test func refusesToShareABusyPort() throws {
        try withServer { _, port in
            var configuration = HTTPServerConfiguration()
            configuration.port = port
            let second = HTTPServer(configuration: configuration, handler: EchoHandler())
            #expect(throws: HTTPError.self) { _ = try second.start() }
        }
    }
}
