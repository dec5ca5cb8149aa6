import Foundation
import Testing

@testable import AnchorageHTTP

@Suite struct HTTPServerPipeliningTests {
    /// More input than one readiness event reads, so OpenSSL is left holding records epoll cannot see.
    @Test func longPipelineOfBodiesIsAnsweredInOrder() throws {
        for configuration in plainAndTLS() {
            try withServer(configuration) { _, port in
                let connection = try localClient(configuration, port)
                let body = String(repeating: "p", count: 1000)
                var wire = ""
                for index in 0..<400 {
                    wire += "POST /\(index) HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n\(body)"
                }
                try connection.sendRaw(Array(wire.utf8))
                for index in 0..<400 {
                    let response = try connection.readResponse()
                    #expect(response.headers["X-Target"] == "/\(index)")
                    #expect(response.body.count == 1000)
                }
            }
        }
    }

    /// Responses pile up past the backpressure mark while the client is not reading; nothing is lost.
    @Test func backpressureResumesAfterTheClientReads() throws {
        for configuration in plainAndTLS() {
            try withServer(configuration) { _, port in
                let connection = try localClient(configuration, port)
                var wire = ""
                for _ in 0..<40 { wire += "GET /big HTTP/1.1\r\nHost: a\r\n\r\n" }
                wire += "GET /last HTTP/1.1\r\nHost: a\r\n\r\n"
                try connection.sendRaw(Array(wire.utf8))
                Thread.sleep(forTimeInterval: 0.2)
                for _ in 0..<40 { #expect(try connection.readResponse().body.count == 100_000) }
                #expect(try connection.readResponse().headers["X-Target"] == "/last")
            }
        }
    }

    @Test func bodyTimeoutSends408() throws {
        var configuration = HTTPServerConfiguration()
        configuration.bodyTimeout = 0.3
        try withServer(configuration) { _, port in
            let connection = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: nil, timeout: 5)
            try connection.sendRaw(Array("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nab".utf8))
            #expect(try connection.readResponse().status == 408)
        }
    }
}
