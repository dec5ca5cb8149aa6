import AnchorageLocking
import Foundation
import Testing

@testable import AnchorageHTTP

/// A handler that answers some requests later, through ``HTTPResponsePromise``:
/// - `/held/<name>`: the promise is kept until the test completes it (``complete(_:)``);
/// - `/async`: completed on another thread, soon;
/// - `/early`: completed before `handle` returns;
/// - `/committed/<name>`: kept like `/held`, and completed with a response that waits for a commit;
/// - anything else: answered at once.
final class DeferringHandler: HTTPHandler {
    private struct State {
        var promises: [String: HTTPResponsePromise] = [:]
        var commits: [UInt64] = []
        var settled: [String] = []
        var nextTicket: UInt64 = 0
    }
    private let state = Locked(State())

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        let target = request.target
        let answer = HTTPResponse(status: 200, headers: ["X-Target": target], body: Array(target.utf8))
        let promise = HTTPResponsePromise()
        switch request.path {
        case "/async":
            DispatchQueue.global().async { promise.complete(answer) }
        case "/early":
            promise.complete(answer)
            promise.complete(HTTPResponse(status: 418))  // ignored: the first completion wins
        case let path where path.hasPrefix("/held/") || path.hasPrefix("/committed/"):
            state.withLock { $0.promises[String(path.split(separator: "/").last!)] = promise }
        default:
            return answer
        }
        return .pending(promise)
    }

    /// Waits until a request named `name` is waiting, then completes it; `/committed/` ones with a commit.
    func complete(_ name: String) throws {
        let promise = try waitFor { self.state.withLock { $0.promises.removeValue(forKey: name) } }
        var response = HTTPResponse(status: 200, headers: ["X-Target": name], body: Array(name.utf8))
        let ticket = state.withLock { state -> UInt64 in
            state.nextTicket += 1
            return state.nextTicket
        }
        response.commit = HTTPCommit(
            ticket: ticket, fallback: { HTTPResponse(status: 503) },
            settled: { [state] committed in state.withLock { $0.settled.append("\(name):\(committed)") } })
        promise.complete(response)
    }

    func commit(upTo ticket: UInt64) -> Bool {
        state.withLock { $0.commits.append(ticket) }
        return true
    }

    var settled: [String] { state.withLock { $0.settled } }

    /// Waits until a request named `name` is waiting for its answer.
    func waitUntilWaiting(_ name: String) throws {
        _ = try waitFor { self.state.withLock { $0.promises[name] } }
    }

    /// Polls `value` until it is non-nil (a request reaching the handler happens on the loop's thread).
    func waitFor<T>(_ value: () -> T?) throws -> T {
        for _ in 0..<1000 {
            if let found = value() { return found }
            Thread.sleep(forTimeInterval: 0.005)
        }
        throw HTTPError("nothing arrived")
    }
}

@Suite struct HTTPServerDeferredTests {
    /// Answers completed on another thread, or before `handle` even returned, are sent, and the connection
    /// goes on serving (keep-alive).
    @Test func completedAnswersAreSent() throws {
        for configuration in plainAndTLS(eventLoops: 1) {
            try withServer(configuration, handler: DeferringHandler()) { _, port in
                let connection = try localClient(configuration, port)
                for target in ["/async", "/early", "/now", "/async?again"] {
                    let response = try connection.send(method: "GET", target: target, headers: HTTPHeaders(), body: [])
                    #expect(response.status == 200)
                    #expect(text(response.body) == target)
                }
            }
        }
    }

    /// Pipelined requests behind a deferred answer wait for it: every answer arrives, in order.
    @Test func pipelinedRequestsKeepTheirOrder() throws {
        for configuration in plainAndTLS(eventLoops: 1) {
            try withServer(configuration, handler: DeferringHandler()) { _, port in
                let connection = try localClient(configuration, port)
                let targets = (0..<40).map { ["/async?\($0)", "/now?\($0)", "/early?\($0)"][$0 % 3] }
                var wire = ""
                for target in targets { wire += "GET \(target) HTTP/1.1\r\nHost: a\r\n\r\n" }
                try connection.sendRaw(Array(wire.utf8))
                for target in targets {
                    #expect(try connection.readResponse().headers["X-Target"] == target)
                }
            }
        }
    }

    /// Answers completed in the opposite order of their requests, on two connections of one loop, each reach
    /// their own connection; an answer that waits for a commit leaves after it, and is settled.
    @Test func answersReachTheirOwnConnection() throws {
        for configuration in plainAndTLS(eventLoops: 1) {
            let handler = DeferringHandler()
            try withServer(configuration, handler: handler) { _, port in
                let first = try localClient(configuration, port)
                let second = try localClient(configuration, port)
                try first.sendRaw(Array("GET /held/a HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
                try second.sendRaw(Array("GET /committed/b HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
                try handler.complete("b")
                try handler.complete("a")
                #expect(try second.readResponse().headers["X-Target"] == "b")
                #expect(try first.readResponse().headers["X-Target"] == "a")
                #expect(handler.settled.sorted() == ["a:true", "b:true"])
            }
        }
    }

    /// A client that leaves while its answer is on its way: what stands behind the answer is still committed
    /// and settled, and the server goes on serving.
    @Test func anAnswerForAClientThatLeftIsStillSettled() throws {
        for configuration in plainAndTLS(eventLoops: 1) {
            let handler = DeferringHandler()
            try withServer(configuration, handler: handler) { _, port in
                do {
                    let leaving = try localClient(configuration, port)
                    try leaving.sendRaw(Array("GET /committed/gone HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
                    try handler.waitUntilWaiting("gone")
                    leaving.close()
                }
                Thread.sleep(forTimeInterval: 0.05)  // let the loop see the hang-up first (either order must work)
                try handler.complete("gone")
                #expect(try handler.waitFor { handler.settled.first } == "gone:true")
                let next = try localClient(configuration, port)
                #expect(try next.send(method: "GET", target: "/now", headers: HTTPHeaders(), body: []).status == 200)
            }
        }
    }

    /// Shutdown waits for an answer that is on its way, within the grace period.
    @Test func shutdownWaitsForAnAnswerOnItsWay() throws {
        let handler = DeferringHandler()
        var configuration = HTTPServerConfiguration()
        configuration.eventLoopCount = 1
        let server = HTTPServer(configuration: configuration, handler: handler)
        let (_, port) = try server.start()
        let connection = try localClient(configuration, port)
        try connection.sendRaw(Array("GET /held/late HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        try handler.waitUntilWaiting("late")
        let stopped = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            server.shutdown(gracePeriod: 10)
            stopped.signal()
        }
        try handler.complete("late")
        let response = try connection.readResponse()
        #expect(response.headers["X-Target"] == "late")
        stopped.wait()
    }
}
