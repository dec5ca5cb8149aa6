import AnchorageLocking
import Foundation
import Glibc
import Synchronization
import Testing

@testable import AnchorageHTTP

/// Counts requests per loop thread, to see that load reaches every core.
final class ThreadTally: Sendable {
    let requestsByThread = Locked<[String: Int]>([:])
}

struct TallyHandler: HTTPHandler {
    let tally = ThreadTally()

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        let thread = String(describing: pthread_self())
        tally.requestsByThread.withLock { $0[thread, default: 0] += 1 }
        return HTTPResponse(status: 200, body: Array("ok".utf8))
    }
}

/// A throughput probe, skipped unless `LOAD_PROBE` is set. Run it optimised:
/// `LOAD_PROBE=1 swift test -c release -Xswiftc -enable-testing --filter LoadProbe`
@Suite struct LoadProbeTests {
    @Test(arguments: [false, true]) func keepAliveThroughput(tls: Bool) throws {
        guard ProcessInfo.processInfo.environment["LOAD_PROBE"] != nil else { return }
        var configuration = HTTPServerConfiguration()
        if tls { configuration.tls = TestCertificate.serverContext }
        let handler = TallyHandler()
        let clientTLS = tls ? TLSClientConfiguration(verifyPeer: false) : nil
        try withServer(configuration, handler: handler) { _, port in
            let total = Atomic<Int>(0)
            let deadline = Date().addingTimeInterval(2)
            let group = DispatchGroup()
            for _ in 0..<8 {
                group.enter()
                Thread {
                    defer { group.leave() }
                    guard let client = try? HTTPClientConnection(host: "127.0.0.1", port: port, tls: clientTLS) else {
                        return
                    }
                    var count = 0
                    while Date() < deadline,
                        (try? client.send(method: "GET", target: "/", headers: [:], body: [])) != nil
                    {
                        count += 1
                    }
                    total.add(count, ordering: .relaxed)
                }.start()
            }
            group.wait()
            var handshakes = 0
            let handshakeStart = Date()
            while tls && Date().timeIntervalSince(handshakeStart) < 1 {
                let client = try HTTPClientConnection(host: "127.0.0.1", port: port, tls: clientTLS)
                _ = try client.send(method: "GET", target: "/", headers: [:], body: [])
                client.close()
                handshakes += 1
            }
            let perThread = handler.tally.requestsByThread.withLock { $0.values.sorted() }
            print(
                "LOAD tls=\(tls) requests/s=\(total.load(ordering: .relaxed) / 2) serial handshakes/s=\(handshakes) per loop=\(perThread)"
            )
        }
    }
}
