import AnchorageConfigFixtures
import AnchorageHTTP
import Foundation
import Testing

@testable import AnchorageServer

/// `serve`'s application in-process: started on ephemeral ports, it answers on both listeners; stopped, it
/// closes them.
@Suite("AnchorageApplication: start and stop in-process")
struct ApplicationTests {
    @Test("start binds both listeners on free ports; stop drains them and waitUntilStopped returns")
    func startAndStop() throws {
        let fixture = try ConfigFixture()
        var options = ServeCommand.Options(stateDirectory: fixture.url("state"))
        options.pkiDirectory = fixture.pkiDirectory
        options.profilesDirectory = fixture.profilesDirectory
        options.port = 0
        options.metricsPort = 0
        let application = try AnchorageApplication(options)
        let bound = try application.start()
        #expect(bound.scheme == "http")
        #expect(bound.host == "127.0.0.1" && bound.metricsHost == "127.0.0.1")
        #expect(bound.port != 0 && bound.metricsPort != 0 && bound.port != bound.metricsPort)
        #expect(FileManager.default.fileExists(atPath: fixture.url("state/audit.jsonl")))
        #expect(FileManager.default.fileExists(atPath: fixture.url("state/token-keyring.json")))

        let api = try HTTPClientConnection(host: bound.host, port: bound.port, tls: nil)
        #expect(try api.send(method: "GET", target: "/healthz", headers: HTTPHeaders(), body: []).status == 200)
        // The metrics are on their own listener only.
        #expect(try api.send(method: "GET", target: "/metrics", headers: HTTPHeaders(), body: []).status == 404)
        api.close()
        let scraper = try HTTPClientConnection(host: bound.metricsHost, port: bound.metricsPort, tls: nil)
        let metrics = try scraper.send(method: "GET", target: "/metrics", headers: HTTPHeaders(), body: [])
        #expect(metrics.status == 200)
        #expect(!metrics.body.isEmpty)
        scraper.close()

        application.stop()
        application.waitUntilStopped()
        #expect(throws: (any Error).self) { try HTTPClientConnection(host: bound.host, port: bound.port, tls: nil) }
        #expect(throws: (any Error).self) {
            try HTTPClientConnection(host: bound.metricsHost, port: bound.metricsPort, tls: nil)
        }
    }

    @Test("an invalid configuration fails in init, before anything is bound")
    func invalidConfiguration() throws {
        let fixture = try ConfigFixture()
        try fixture.write(ConfigFixture.webProfile, "{")
        var options = ServeCommand.Options(stateDirectory: fixture.url("state"))
        options.pkiDirectory = fixture.pkiDirectory
        options.profilesDirectory = fixture.profilesDirectory
        #expect(throws: ServeError.self) { try AnchorageApplication(options) }
    }
}
