import AnchorageConfig
import AnchorageCore
import AnchorageHTTP
import AnchorageServer
import Foundation

/// CreateSession decided in this process, with no socket, TLS, event loop or audit flush: this build's
/// `AnchorageService.handle` on requests parsed beforehand, one thread, the audit log in the page cache.
///
/// The server's CPU per request less this figure is what the HTTP server, TLS, the kernel and the audit flush
/// cost; the two together say which half of the work an optimisation has to come from.
enum InProcessDecision {
    struct Result {
        /// Thread CPU seconds per request (not wall time: a neighbour's load does not count).
        var cpuPerRequest: Double
        var requests: Int
        var issued: Int
    }

    static func measure(configuration: BenchmarkConfiguration, requests raw: [[UInt8]], work: URL) throws -> Result {
        let directory = work.appendingPathComponent("in-process")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try ConfigurationStore(
            loader: ConfigurationLoader(
                pkiDirectory: configuration.pki.path, profilesDirectory: configuration.profiles.path))
        let random = SystemRandomSource()
        let keyring = try KeyringFile.loadOrCreate(
            directory.appendingPathComponent("keyring.json").path, random: random)
        let service = AnchorageService(
            configurations: store,
            createSession: CreateSessionService(sharedKeyring: SharedTokenKeyring(keyring), random: random),
            auditLog: try AuditLog(path: directory.appendingPathComponent("audit.jsonl").path, sync: .none),
            logger: Logger(minimumLevel: .error))
        let requests = try raw.map(parse)
        // Warm-up: the certificate's first parse and path validation, allocator growth.
        for request in requests.prefix(20) { _ = service.handle(request) }
        let started = threadCPUSeconds()
        var issued = 0
        for request in requests where service.handle(request).status == 201 { issued += 1 }
        let spent = threadCPUSeconds() - started
        return Result(cpuPerRequest: spent / Double(max(requests.count, 1)), requests: requests.count, issued: issued)
    }

    /// A request as the server's parser reads it.
    private static func parse(_ raw: [UInt8]) throws -> HTTPRequest {
        do {
            return try HTTPRequest.parse(raw, remoteAddress: "127.0.0.1")
        } catch {
            throw BenchmarkError("in-process: a pre-signed request does not parse: \(error)")
        }
    }

    private static func threadCPUSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
