import AnchorageTestSupport
import Foundation
import Testing

/// `anchorage-benchmark --short` (the CI mode of the benchmark, the Benchmark article): it starts the
/// debug `anchorage serve` next to it and asserts the answers — 201 credential sets of the right
/// shape for P-256, RSA-2048, intermediate, never-seen and new-connection requests; the expected
/// denials and audit reasons; validity and CRL revocation still checked for cached certificates.
@Suite("anchorage-benchmark --short end to end")
struct BenchmarkShortTests {
    @Test("the benchmark's short mode passes its correctness checks against the debug server")
    func shortModePasses() async throws {
        let root = try FixturePKI.packageRoot()
        let benchmark = root.appendingPathComponent(".build/debug/anchorage-benchmark")
        guard FileManager.default.isExecutableFile(atPath: benchmark.path) else {
            throw TestFailure("\(benchmark.path) not found: build it first (`swift build --build-tests`)")
        }
        let server = try AnchorageBinary.url()
        let r = try await runProcess(benchmark.path, ["--short", "--binary", server.path], timeout: 120)
        #expect(r.status == 0, "\(r.summary)")
        #expect(r.stdout.contains("all checks passed"), "\(r.summary)")
    }
}
