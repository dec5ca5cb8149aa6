internal import COpenSSL
import Foundation
import Testing

@testable import AnchorageHTTP

@Suite struct TLSServerTests {
    private func tlsConfiguration() -> HTTPServerConfiguration {
        var configuration = HTTPServerConfiguration()
        configuration.tls = TestCertificate.serverContext
        return configuration
    }

    private var trusting: TLSClientConfiguration { TLSClientConfiguration(caFile: TestCertificate.files.certificate) }

    @Test func keepAliveOverVerifiedTLS() throws {
        try withServer(tlsConfiguration()) { server, port in
            let client = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: trusting, timeout: 5)
            defer { client.close() }
            for index in 0..<4 {
                let body = [UInt8](repeating: UInt8(index), count: 100_000 * index)  // spans many TLS records
                let response = try client.send(
                    method: "POST", target: "/\(index)", headers: [:], body: body, chunked: index == 3)
                #expect(response.status == 200)
                #expect(response.body == body)
            }
            #expect(server.connectionCount == 1)
        }
    }

    /// No resumption: `openssl s_client -reconnect` makes a full handshake every time (no session cache,
    /// no TLS 1.2 or 1.3 tickets), on both protocol versions.
    @Test(arguments: ["-tls1_2", "-tls1_3"])
    func sessionsAreNeverResumed(_ version: String) throws {
        try withServer(tlsConfiguration()) { _, port in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["openssl", "s_client", "-connect", "127.0.0.1:\(port)", version, "-reconnect"]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            let handshakes = text.split(separator: "\n").filter { $0.hasPrefix("New, ") || $0.hasPrefix("Reused, ") }
            #expect(handshakes.count >= 5, "\(text)")
            #expect(handshakes.allSatisfy { $0.hasPrefix("New, ") }, "\(handshakes)")
            #expect(!text.contains("Post-Handshake New Session Ticket"))
        }
    }

    @Test func verifiesDNSNameAndRejectsWrongName() throws {
        try withServer(tlsConfiguration()) { _, port in
            var byName = trusting
            byName.serverName = "localhost"
            let client = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: byName, timeout: 5)
            #expect(try client.send(method: "GET", target: "/", headers: [:], body: []).status == 200)

            var wrong = trusting
            wrong.serverName = "wrong.example.com"
            #expect(throws: TLSError.self) {
                _ = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: wrong, timeout: 5)
            }

            // Untrusted chain: the system store does not know our throwaway certificate.
            #expect(throws: TLSError.self) {
                _ = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: TLSClientConfiguration(), timeout: 5)
            }
            let unverified = try HTTPClientConnection(
                host: "127.0.0.1", port: port, tls: TLSClientConfiguration(verifyPeer: false), timeout: 5)
            #expect(try unverified.send(method: "GET", target: "/", headers: [:], body: []).status == 200)
        }
    }

    @Test func refusesTLS11AndAcceptsTLS12() throws {
        try withServer(tlsConfiguration()) { _, port in
            #expect(throws: TLSError.self) {
                try LegacyTLSClient.handshake(port: port, version: TLS1_1_VERSION)
            }
            // The same client offering TLS 1.2 gets through: the refusal above is the version's.
            try LegacyTLSClient.handshake(port: port, version: TLS1_2_VERSION)

            var twelve = trusting
            twelve.maximumVersion = .tls12
            let client = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: twelve, timeout: 5)
            #expect(try client.send(method: "GET", target: "/", headers: [:], body: []).status == 200)
        }
    }

    @Test func handshakeAndHeaderTimeoutsApplyToTLS() throws {
        var configuration = tlsConfiguration()
        configuration.headerTimeout = 0.3
        try withServer(configuration) { server, port in
            // A TCP client that never starts the handshake is dropped.
            let silent = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: nil, timeout: 5)
            let partial = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: trusting, timeout: 5)
            try partial.sendRaw(Array("GET / HTTP/1.1\r\n".utf8))
            #expect(try partial.readResponse().status == 408)
            #expect(throws: (any Error).self) { try silent.readResponse() }
            partial.close()  // ends the server's linger after the 408
            Thread.sleep(forTimeInterval: 0.1)
            #expect(server.connectionCount == 0)
        }
    }

    @Test func malformedTLSRequestGets400() throws {
        try withServer(tlsConfiguration()) { _, port in
            let client = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: trusting, timeout: 5)
            try client.sendRaw(Array("GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n".utf8))
            #expect(try client.readResponse().status == 400)
        }
    }

    @Test func rejectsMismatchedKey() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "anchorage-http-key-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let otherKey = directory.appendingPathComponent("other.pem").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", otherKey,
        ]
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(throws: TLSError.self) {
            _ = try TLSServerContext(certificateChainFile: TestCertificate.files.certificate, privateKeyFile: otherKey)
        }
        #expect(throws: TLSError.self) {
            _ = try TLSServerContext(certificateChainFile: "/nonexistent.pem", privateKeyFile: otherKey)
        }
    }
}

/// The client side of mutual TLS (`TLSClientConfiguration.certificateFile`), against `openssl s_server`
/// that requires a client certificate.
@Suite struct TLSClientCertificateTests {
    /// Starts `openssl s_server -Verify 1 -www` for one connection and returns it with its port.
    private func startServer() throws -> (Process, Int) {
        let files = TestCertificate.files
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "openssl", "s_server", "-accept", "127.0.0.1:0", "-cert", files.certificate, "-key", files.key,
            "-Verify", "1", "-CAfile", files.certificate, "-www", "-naccept", "1",
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var seen = ""
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning, Date() < deadline {
            seen += String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
            if let range = seen.range(of: "ACCEPT 127.0.0.1:"),
                let port = seen[range.upperBound...].split(separator: "\n").first.flatMap({ Int($0) })
            {
                return (process, port)
            }
        }
        process.terminate()
        throw HTTPError("openssl s_server did not start: \(seen)")
    }

    @Test func presentsItsCertificateWhenTheServerAsks() throws {
        let (server, port) = try startServer()
        defer { server.terminate() }
        let tls = TLSClientConfiguration(
            verifyPeer: false, certificateFile: TestCertificate.files.certificate,
            privateKeyFile: TestCertificate.files.key)
        let client = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: tls, timeout: 5)
        defer { client.close() }
        let response = try client.send(method: "GET", target: "/", headers: [:], body: [])
        #expect(response.status == 200)
        #expect(text(response.body).contains("CN = localhost") || text(response.body).contains("CN=localhost"))
    }

    @Test func withoutACertificateTheHandshakeFails() throws {
        let (server, port) = try startServer()
        defer { server.terminate() }
        #expect(throws: (any Error).self) {
            let client = try HTTPClientConnection(
                host: "127.0.0.1", port: port, tls: TLSClientConfiguration(verifyPeer: false), timeout: 5)
            _ = try client.send(method: "GET", target: "/", headers: [:], body: [])
        }
    }

    @Test func aMissingCertificateFileIsAnError() throws {
        let tls = TLSClientConfiguration(verifyPeer: false, certificateFile: "/nonexistent.pem")
        let (server, port) = try startServer()
        defer { server.terminate() }
        #expect(throws: TLSError.self) {
            _ = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: tls, timeout: 5)
        }
    }
}
