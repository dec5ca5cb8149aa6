import Foundation
import Testing

@testable import AnchorageHTTP

@Suite struct HTTPServerSlowClientTests {
    @Test func manyTricklingClientsDoNotStarveAnHonestOne() throws {
        var configuration = HTTPServerConfiguration()
        configuration.eventLoopCount = 2
        try withServer(configuration) { server, port in
            var slow: [HTTPClientConnection] = []
            for index in 0..<300 {
                let client = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: nil, timeout: 5)
                try client.sendRaw(Array("POST /\(index) HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nab".utf8))
                slow.append(client)
            }
            // Served in full while every trickling request is still incomplete (a starved client would hit its
            // read timeout and throw); ordering, not a stopwatch, is the assertion.
            let honest = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: nil, timeout: 5)
            for _ in 0..<50 {
                #expect(try honest.send(method: "GET", target: "/", headers: [:], body: []).status == 200)
            }
            #expect(server.connectionCount == 301)
            for client in slow { try client.sendRaw(Array("cdefghij".utf8)) }
            for (index, client) in slow.enumerated() {
                #expect(try client.readResponse().headers["X-Target"] == "/\(index)")
            }
        }
    }
}
