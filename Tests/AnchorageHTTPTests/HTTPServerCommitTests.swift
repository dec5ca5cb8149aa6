import AnchorageLocking
import Foundation
import Testing

@testable import AnchorageHTTP

/// A handler whose responses wait for a commit (`HTTPResponse.commit`): every request gets the next
/// ticket; `commit(upTo:)` records each call, can be made to fail, and can be held up once so that other
/// requests pile up behind it.
final class CommittingHandler: HTTPHandler {
    private struct State {
        var issued: UInt64 = 0
        var committed: UInt64 = 0
        var calls: [UInt64] = []
        var handledBeforeCommit: [UInt64] = []
        /// `HTTPCommit.settled` calls: ticket and whether its commit succeeded.
        var settled: [String] = []
    }
    private let state = Locked(State())
    let failCommits: Bool
    /// Whether the first commit blocks, after signalling `firstCommitStarted`, until `releaseFirstCommit()`.
    let holdsFirstCommit: Bool
    let firstCommitStarted = DispatchSemaphore(value: 0)
    private let firstCommitRelease = DispatchSemaphore(value: 0)

    init(failCommits: Bool = false, holdsFirstCommit: Bool = false) {
        self.failCommits = failCommits
        self.holdsFirstCommit = holdsFirstCommit
    }

    /// Lets the held first commit finish.
    func releaseFirstCommit() { firstCommitRelease.signal() }

    /// How many requests reached `handle` with a commit.
    var handled: UInt64 { state.withLock { $0.issued } }

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        if request.path == "/plain" {
            return HTTPResponse(status: 200, headers: ["X-Target": request.target], body: Array("plain".utf8))
        }
        let ticket = state.withLock { state -> UInt64 in
            state.issued += 1
            return state.issued
        }
        var response = HTTPResponse(
            status: 201, headers: ["X-Target": request.target, "X-Ticket": String(ticket)], body: Array("ok".utf8))
        response.commit = HTTPCommit(
            ticket: ticket,
            fallback: {
                HTTPResponse(status: 503, headers: ["X-Target": request.target], body: Array("not durable".utf8))
            },
            settled: { [state] committed in state.withLock { $0.settled.append("\(ticket):\(committed)") } })
        return response
    }

    func commit(upTo ticket: UInt64) -> Bool {
        let first = state.withLock { state -> Bool in
            state.calls.append(ticket)
            return state.calls.count == 1
        }
        if first, holdsFirstCommit {
            firstCommitStarted.signal()
            // Bounded only so that a failing test cannot hang the suite.
            _ = firstCommitRelease.wait(timeout: .now() + 30)
        }
        if failCommits { return false }
        state.withLock { $0.committed = max($0.committed, ticket) }
        return true
    }

    /// The highest ticket committed so far.
    var committed: UInt64 { state.withLock { $0.committed } }
    /// The ticket of every `commit(upTo:)` call, in order.
    var commitCalls: [UInt64] { state.withLock { $0.calls } }
    /// `ticket:committed` of every `HTTPCommit.settled` call, in order.
    var settled: [String] { state.withLock { $0.settled } }
}

@Suite struct HTTPServerCommitTests {
    /// An answer leaves only once a commit covering its ticket returned, and the connection goes on
    /// serving afterwards (keep-alive).
    @Test func aHeldAnswerLeavesAfterItsCommit() throws {
        for configuration in plainAndTLS(eventLoops: 1) {
            let handler = CommittingHandler()
            try withServer(configuration, handler: handler) { _, port in
                let connection = try localClient(configuration, port)
                for index in 1...3 {
                    let response = try connection.send(
                        method: "POST", target: "/\(index)", headers: HTTPHeaders(), body: [])
                    #expect(response.status == 201)
                    let ticket = try #require(response.headers["X-Ticket"].flatMap { UInt64($0) })
                    #expect(handler.committed >= ticket)
                }
                #expect(
                    try connection.send(method: "GET", target: "/plain", headers: HTTPHeaders(), body: []).status == 200
                )
                #expect(handler.commitCalls.count == 3)
                // Each held answer was settled once, as committed, before it left.
                #expect(handler.settled == ["1:true", "2:true", "3:true"])
            }
        }
    }

    /// When the commit fails, the commit's fallback is sent instead, never the held answer.
    @Test func aFailedCommitSendsTheFallback() throws {
        for configuration in plainAndTLS(eventLoops: 1) {
            let handler = CommittingHandler(failCommits: true)
            try withServer(configuration, handler: handler) { _, port in
                let connection = try localClient(configuration, port)
                for index in 1...2 {
                    let response = try connection.send(
                        method: "POST", target: "/\(index)", headers: HTTPHeaders(), body: [])
                    #expect(response.status == 503)
                    #expect(text(response.body) == "not durable")
                    #expect(response.headers["X-Target"] == "/\(index)")
                    #expect(response.headers["X-Ticket"] == nil)
                }
                // The handler heard that the fallback was the answer (so it can count an error, not a success).
                #expect(handler.settled == ["1:false", "2:false"])
            }
        }
    }

    /// Pipelined requests behind a held answer wait for it; all answers arrive complete and in order.
    @Test func pipelinedRequestsKeepTheirOrder() throws {
        for configuration in plainAndTLS(eventLoops: 1) {
            let handler = CommittingHandler()
            try withServer(configuration, handler: handler) { _, port in
                let connection = try localClient(configuration, port)
                var wire = ""
                for index in 0..<50 {
                    let path = index % 5 == 4 ? "/plain?\(index)" : "/\(index)"
                    wire += "POST \(path) HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi"
                }
                wire += "GET /last HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
                try connection.sendRaw(Array(wire.utf8))
                for index in 0..<50 {
                    let response = try connection.readResponse()
                    if index % 5 == 4 {
                        #expect(response.headers["X-Target"] == "/plain?\(index)")
                    } else {
                        #expect(response.headers["X-Target"] == "/\(index)")
                        #expect(response.status == 201)
                    }
                }
                let last = try connection.readResponse()
                #expect(last.headers["X-Target"] == "/last")
                #expect(last.headers["Connection"]?.lowercased() == "close")
            }
        }
    }

    /// Group commit: requests that arrive while a commit is in progress are handled together afterwards
    /// and share one commit, whose ticket covers all of them.
    @Test func requestsArrivingDuringACommitShareTheNextOne() throws {
        var configuration = HTTPServerConfiguration()
        configuration.eventLoopCount = 1
        let handler = CommittingHandler(holdsFirstCommit: true)
        try withServer(configuration, handler: handler) { _, port in
            let clients = 8
            let connections = try (0...clients).map { _ in UncheckedBox(try localClient(configuration, port)) }
            Thread.sleep(forTimeInterval: 0.1)  // accepted and registered before the first commit
            let group = DispatchGroup()
            let statuses = Locked<[Int]>([])
            func send(_ connection: UncheckedBox<HTTPClientConnection>, _ index: Int) {
                group.enter()
                Thread.detachNewThread {
                    let status =
                        (try? connection.value.send(
                            method: "POST", target: "/\(index)", headers: HTTPHeaders(), body: []
                        )
                        .status) ?? -1
                    statuses.withLock { $0.append(status) }
                    group.leave()
                }
            }
            send(connections[0], 0)
            #expect(handler.firstCommitStarted.wait(timeout: .now() + 5) == .success)
            // The loop is inside the first commit: these all queue up meanwhile.
            for index in 1...clients { send(connections[index], index) }
            // Every request reached the handler (and waits for a commit) before the first commit ends.
            #expect(
                waitUntil { handler.handled == UInt64(clients + 1) }, "handled: \(handler.handled) of \(clients + 1)")
            handler.releaseFirstCommit()
            #expect(group.wait(timeout: .now() + 10) == .success)
            #expect(statuses.withLock { $0 } == Array(repeating: 201, count: clients + 1))
            let calls = handler.commitCalls
            #expect(calls.first == 1)
            #expect(calls.last == UInt64(clients + 1))
            // Requests that were all ready at the end of the first commit share a commit; a late thread
            // may add one more, never one per request.
            #expect(calls.count <= 3, "commit calls: \(calls)")
        }
    }

    /// The commit runs beside the loop, not on it: while one answer waits for a slow commit, the same
    /// (single) loop answers other connections, and a client that hangs up meanwhile costs nothing.
    @Test func aSlowCommitDoesNotStopTheLoop() throws {
        for configuration in plainAndTLS(eventLoops: 1) {
            let handler = CommittingHandler(holdsFirstCommit: true)
            try withServer(configuration, handler: handler) { _, port in
                let held = UncheckedBox(try localClient(configuration, port))
                let leaving = try localClient(configuration, port)
                let other = try localClient(configuration, port)
                let heldStatus = Locked<Int?>(nil)
                let done = DispatchSemaphore(value: 0)
                Thread.detachNewThread {
                    let status = try? held.value.send(method: "POST", target: "/held", headers: HTTPHeaders(), body: [])
                    heldStatus.withLock { $0 = status?.status }
                    done.signal()
                }
                #expect(handler.firstCommitStarted.wait(timeout: .now() + 5) == .success)
                // A second held answer whose client leaves before the commit finishes.
                try leaving.sendRaw(Array("POST /gone HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n".utf8))
                leaving.close()
                for index in 0..<20 {
                    let response = try other.send(
                        method: "GET", target: "/plain?\(index)", headers: HTTPHeaders(), body: [])
                    #expect(response.status == 200)
                }
                // All answered while the commit still blocks: the loop did not wait for it.
                #expect(heldStatus.withLock { $0 } == nil, "the held answer left before its commit")
                handler.releaseFirstCommit()
                #expect(done.wait(timeout: .now() + 5) == .success)
                #expect(heldStatus.withLock { $0 } == 201)
                #expect(
                    try other.send(method: "POST", target: "/after", headers: HTTPHeaders(), body: []).status == 201)
            }
        }
    }
}

extension HTTPServerCommitTests {
    /// Input that arrives while an answer waits for its commit does not make the level-triggered loop spin
    /// (reading is unregistered until the release), and is answered, in order, after it.
    @Test func inputWhileAnAnswerIsHeldDoesNotSpinTheLoop() throws {
        for configuration in plainAndTLS(eventLoops: 1) {
            let handler = CommittingHandler(holdsFirstCommit: true)
            try withServer(configuration, handler: handler) { server, port in
                let connection = try localClient(configuration, port)
                try connection.sendRaw(Array("POST /held HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n".utf8))
                #expect(handler.firstCommitStarted.wait(timeout: .now() + 5) == .success)
                let before = server.loopWakeUps
                try connection.sendRaw(Array("POST /behind HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n".utf8))
                Thread.sleep(forTimeInterval: 0.5)
                let wakeUps = server.loopWakeUps - before
                #expect(wakeUps < 50, "\(wakeUps) loop wake-ups in 0.5 s while an answer was held")
                handler.releaseFirstCommit()
                let held = try connection.readResponse()
                #expect(held.status == 201)
                #expect(held.headers["X-Target"] == "/held")
                let behind = try connection.readResponse()
                #expect(behind.status == 201)
                #expect(behind.headers["X-Target"] == "/behind")
            }
        }
    }
}

/// Polls `condition` until it holds (true) or 10 s pass (false): for events on another thread, never as a bound.
func waitUntil(_ condition: () -> Bool) -> Bool {
    for _ in 0..<2000 {
        if condition() { return true }
        Thread.sleep(forTimeInterval: 0.005)
    }
    return false
}

/// Hands a value to one other thread that alone uses it from then on.
final class UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
