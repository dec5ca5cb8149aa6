import AnchorageTestSupport
import Foundation
import Testing

/// `--help` on every command of both executables prints usage on stdout and exits 0.
@Suite("--help on every command")
struct HelpTests {
    static let anchorageCommands: [[String]] = [
        [], ["serve"], ["validate"], ["explain"], ["revoke"], ["version"],
        ["pki"], ["pki", "init-ca"], ["pki", "issue"],
        ["trust-anchor"], ["trust-anchor", "add"], ["trust-anchor", "list"], ["trust-anchor", "show"],
        ["trust-anchor", "enable"], ["trust-anchor", "disable"], ["trust-anchor", "remove"],
        ["crl"], ["crl", "import"], ["crl", "list"], ["crl", "remove"],
        ["profile"], ["profile", "create"], ["profile", "list"], ["profile", "show"], ["profile", "enable"],
        ["profile", "disable"], ["profile", "add-role"], ["profile", "remove-role"], ["profile", "remove"],
        ["role"], ["role", "create"], ["role", "list"], ["role", "show"], ["role", "remove"],
    ]

    static let helperCommands: [[String]] = [
        [], ["credential-process"], ["update"], ["serve"], ["sign-string"], ["read-certificate-data"], ["version"],
    ]

    static func helperBinary() throws -> URL {
        let url = try AnchorageBinary.url().deletingLastPathComponent().appendingPathComponent("anchorage-helper")
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw TestFailure("anchorage-helper not built at \(url.path)")
        }
        return url
    }

    @Test("anchorage … --help", arguments: anchorageCommands)
    func anchorage(_ command: [String]) async throws {
        let r = try await runProcess(try AnchorageBinary.url().path, command + ["--help"], timeout: 30)
        #expect(r.status == 0, "\(r.summary)")
        #expect(r.stdout.lowercased().contains("usage"), "\(r.summary)")
        if let last = command.last { #expect(r.stdout.contains(last), "\(r.summary)") }
        #expect(r.stderr.isEmpty, "\(r.summary)")
    }

    @Test("anchorage-helper … --help", arguments: helperCommands)
    func helper(_ command: [String]) async throws {
        for flag in ["--help", "-h"] {
            let r = try await runProcess(try Self.helperBinary().path, command + [flag], timeout: 30)
            #expect(r.status == 0, "\(r.summary)")
            #expect(r.stdout.lowercased().contains("usage"), "\(r.summary)")
            if let last = command.last { #expect(r.stdout.contains("anchorage-helper \(last)"), "\(r.summary)") }
            #expect(r.stderr.isEmpty, "\(r.summary)")
        }
    }
}
