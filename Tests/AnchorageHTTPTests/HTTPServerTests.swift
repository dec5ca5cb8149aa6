import Foundation
import Testing

@testable import AnchorageHTTP

@Suite struct HTTPServerTests {
    @Test func keepAliveServesSeveralRequestsOnOneConnection() throws {
        let handler = EchoHandler()
        try withServer(handler: handler) { server, port in
            let client = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: nil, timeout: 5)
            defer { client.close() }
            for index in 0..<5 {
                let body = Array("payload \(index)".utf8)
                let response = try client.send(
                    method: "POST", target: "/sessions?profileArn=arn%3Ax&i=\(index)", headers: ["X-Test": "1"],
                    body: body, chunked: index % 2 == 1)
                #expect(response.status == 200)
                #expect(response.body == body)
                #expect(response.headers["X-Target"] == "/sessions?profileArn=arn%3Ax&i=\(index)")
                #expect(response.headers["X-Query"] == "profileArn=arn%3Ax&i=\(index)")
                #expect(response.headers["X-Remote"] == "127.0.0.1")
                #expect(response.headers["Content-Length"] == String(body.count))
                #expect(response.headers["Date"] != nil)
                #expect(response.headers["Connection"] == nil)
            }
            let head = try client.send(method: "HEAD", target: "/", headers: HTTPHeaders(), body: [])
            #expect(head.status == 200 && head.body.isEmpty)
            #expect(try client.send(method: "GET", target: "/", headers: HTTPHeaders(), body: []).status == 200)
            #expect(server.connectionCount == 1)
            #expect(handler.calls.count == 7)
        }
    }

    @Test func connectionCloseAndHTTP10CloseAfterResponse() throws {
        try withServer { _, port in
            let client = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: nil, timeout: 5)
            let response = try client.send(method: "GET", target: "/", headers: ["Connection": "close"], body: [])
            #expect(response.headers["Connection"] == "close")
            #expect(throws: (any Error).self) { try client.readResponse() }

            let old = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: nil, timeout: 5)
            try old.sendRaw(Array("GET / HTTP/1.0\r\n\r\n".utf8))
            #expect(try old.readResponse().headers["Connection"] == "close")
            #expect(throws: (any Error).self) { try old.readResponse() }

            let kept = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: nil, timeout: 5)
            try kept.sendRaw(Array("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.0\r\n\r\n".utf8))
            #expect(try kept.readResponse().headers["Connection"] == "keep-alive")
            #expect(try kept.readResponse().headers["X-Target"] == "/2")

            let handlerClose = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: nil, timeout: 5)
            #expect(
                try handlerClose.send(method: "GET", target: "/close", headers: [:], body: []).body == Array("bye".utf8)
            )
            #expect(throws: (any Error).self) { try handlerClose.readResponse() }
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        try withServer { _, port in
            let client = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: nil, timeout: 5)
            var wire = ""
            for index in 0..<20 { wire += "GET /\(index) HTTP/1.1\r\nHost: x\r\n\r\n" }
            try client.sendRaw(Array(wire.utf8))
            for index in 0..<20 { #expect(try client.readResponse().headers["X-Target"] == "/\(index)") }
        }
    }

    @Test func malformedRequestGetsStatusThenClose() throws {
        let handler = EchoHandler()
        try withServer(handler: handler) { _, port in
            let client = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: nil, timeout: 5)
            try client.sendRaw(
                Array(
                    "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".utf8
                ))
            let response = try client.readResponse()
            #expect(response.status == 400)
            #expect(response.headers["Connection"] == "close")
            #expect(throws: (any Error).self) { try client.readResponse() }
            #expect(handler.calls.count == 0)
        }
    }

    @Test func oversizedBodyIsRefusedWith413() throws {
        var configuration = HTTPServerConfiguration()
        configuration.maxBodyBytes = 1000
        try withServer(configuration) { _, port in
            let client = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: nil, timeout: 5)
            let response = try client.send(
                method: "POST", target: "/", headers: [:], body: [UInt8](repeating: 65, count: 200_000))
            #expect(response.status == 413)
            let chunked = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: nil, timeout: 5)
            let second = try chunked.send(
                method: "POST", target: "/", headers: [:], body: [UInt8](repeating: 65, count: 5000), chunked: true)
            #expect(second.status == 413)
        }
    }

    @Test func slowClientDoesNotBlockOthers() throws {
        var configuration = HTTPServerConfiguration()
        configuration.eventLoopCount = 1  // the slow and the fast client share the only loop
        try withServer(configuration) { _, port in
            let slow = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: nil, timeout: 5)
            try slow.sendRaw(Array("GET /slowly HTTP/1.1\r\nHo".utf8))
            let fast = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: nil, timeout: 5)
            // Answered while the slow request is still incomplete (a blocked client would hit its read timeout).
            #expect(try fast.send(method: "GET", target: "/fast", headers: [:], body: []).status == 200)
            for byte in "st: a\r\n\r\n".utf8 {
                try slow.sendRaw([byte])
                Thread.sleep(forTimeInterval: 0.005)
            }
            #expect(try slow.readResponse().headers["X-Target"] == "/slowly")
        }
    }

    @Test func headerTimeoutSends408AndIdleTimeoutClosesSilently() throws {
        var configuration = HTTPServerConfiguration()
        configuration.headerTimeout = 0.3
        configuration.idleTimeout = 0.3
        try withServer(configuration) { server, port in
            let partial = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: nil, timeout: 5)
            try partial.sendRaw(Array("GET / HTTP/1.1\r\nHost: a\r\n".utf8))
            let response = try partial.readResponse()  // within the client's read timeout
            #expect(response.status == 408)
            #expect(response.headers["Connection"] == "close")

            let idle = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: nil, timeout: 5)
            #expect(try idle.send(method: "GET", target: "/", headers: [:], body: []).status == 200)
            Thread.sleep(forTimeInterval: 0.8)
            #expect(throws: (any Error).self) { try idle.readResponse() }  // closed without a response

            let silent = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: nil, timeout: 5)
            #expect(throws: (any Error).self) { try silent.readResponse() }
            Thread.sleep(forTimeInterval: 0.1)
            #expect(server.connectionCount == 0)
        }
    }

    @Test func connectionsBeyondTheLimitAreClosed() throws {
        var configuration = HTTPServerConfiguration()
        configuration.maxConnections = 2
        try withServer(configuration) { server, port in
            let first = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: nil, timeout: 5)
            let second = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: nil, timeout: 5)
            #expect(try first.send(method: "GET", target: "/", headers: [:], body: []).status == 200)
            #expect(try second.send(method: "GET", target: "/", headers: [:], body: []).status == 200)
            #expect(server.connectionCount == 2)
            let third = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: nil, timeout: 5)
            #expect(throws: (any Error).self) { try third.send(method: "GET", target: "/", headers: [:], body: []) }
            first.close()
            Thread.sleep(forTimeInterval: 0.1)
            let fourth = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: nil, timeout: 5)
            #expect(try fourth.send(method: "GET", target: "/", headers: [:], body: []).status == 200)
        }
    }

    @Test func gracefulShutdownFinishesInFlightRequest() throws {
        let server = HTTPServer(configuration: HTTPServerConfiguration(), handler: EchoHandler())
        let (_, port) = try server.start()
        let idle = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: nil, timeout: 5)
        #expect(try idle.send(method: "GET", target: "/", headers: [:], body: []).status == 200)
        let busy = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: nil, timeout: 5)
        try busy.sendRaw(Array("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        Thread.sleep(forTimeInterval: 0.1)  // the handler is now sleeping on its loop
        server.shutdown(gracePeriod: 5)
        let response = try busy.readResponse()
        #expect(response.status == 200)
        #expect(response.headers["Connection"] == "close")
        #expect(throws: (any Error).self) { try idle.readResponse() }
        #expect(server.connectionCount == 0)
        #expect(throws: (any Error).self) {
            _ = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: nil, timeout: 1)
        }
        server.shutdown()  // idempotent
        server.waitUntilStopped()
    }

    @Test func connectionsAreSpreadAcrossLoops() throws {
        var configuration = HTTPServerConfiguration()
        configuration.eventLoopCount = 2
        try withServer(configuration) { _, port in
            var threads = Set<String>()
            var clients: [HTTPClientConnection] = []
            for _ in 0..<24 {
                let client = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: nil, timeout: 5)
                clients.append(client)
                threads.insert(text(try client.send(method: "GET", target: "/thread", headers: [:], body: []).body))
            }
            #expect(threads.count == 2, Comment(rawValue: threads.sorted().joined(separator: ",")))
        }
    }

    @Test func bindsIPv6Loopback() throws {
        var configuration = HTTPServerConfiguration()
        configuration.host = "::1"
        let server = HTTPServer(configuration: configuration, handler: EchoHandler())
        guard let (host, port) = try? server.start() else { return }  // no IPv6 in this sandbox
        defer { server.shutdown() }
        #expect(host == "::1")
        let client = try HTTPClientConnection(host: "::1", port: port, tls: nil, timeout: 5)
        #expect(try client.send(method: "GET", target: "/", headers: [:], body: []).headers["X-Remote"] == "::1")
    }
}

extension HTTPServerTests {
    @Test func localhostBindsIPv4LoopbackAndDefaultsUseEveryCore() throws {
        var configuration = HTTPServerConfiguration(host: "localhost")
        #expect(configuration.eventLoopCount == ProcessInfo.processInfo.activeProcessorCount)
        configuration.eventLoopCount = 1
        let server = HTTPServer(configuration: configuration, handler: EchoHandler())
        let (host, port) = try server.start()
        defer { server.shutdown() }
        #expect(host == "127.0.0.1" && port > 0)
        #expect(throws: HTTPError.self) { try server.start() }
        let client = try HTTPClientConnection(host: "localhost", port: port, tls: nil, timeout: 5)
        #expect(try client.send(method: "GET", target: "/", headers: [:], body: []).status == 200)
    }
}
