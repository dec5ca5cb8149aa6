import AnchorageLocking
import AnchorageTestSupport
import Foundation

@testable import AnchorageAdmin

/// Runs admin commands in-process against a temporary configuration and captures their output.
struct AdminHarness {
    /// Removed when the last copy of the harness is released.
    let directory = TemporaryDirectory()
    var root: String { directory.path }
    var pki: String { root + "/PKI" }
    var profiles: String { root + "/Profiles" }
    /// Keys and certificates made by `pki` commands live here, outside the configuration.
    var keys: String { root + "/keys" }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    init() throws {
        try FileManager.default.createDirectory(atPath: keys, withIntermediateDirectories: true)
    }

    /// `anchorage <command> <arguments…> --pki <root>/PKI --profiles <root>/Profiles`.
    @discardableResult
    func run(_ command: String, _ arguments: [String]) -> Result {
        let out = Locked("")
        let err = Locked("")
        let console = AdminConsole(
            standardOutput: { text in out.withLock { $0 += text } },
            standardError: { text in err.withLock { $0 += text } })
        let status = AdminCommand.run(command, arguments + ["--pki", pki, "--profiles", profiles], console: console)
        return Result(status: status, stdout: out.withLock { $0 }, stderr: err.withLock { $0 })
    }

    /// A digest of every path, type, mode and content under the configuration (dot-files included).
    func treeDigest() -> String {
        var entries: [String] = []
        for base in [pki, profiles] {
            guard let enumerator = FileManager.default.enumerator(atPath: base) else {
                entries.append("\(base) absent")
                continue
            }
            while let relative = enumerator.nextObject() as? String {
                let path = base + "/" + relative
                var info = stat()
                lstat(path, &info)
                let content = FileManager.default.contents(atPath: path).map { $0.base64EncodedString() } ?? "-"
                entries.append("\(path) \(info.st_mode) \(content)")
            }
        }
        return entries.sorted().joined(separator: "\n")
    }

    /// A root CA (EC P-256) and a workload certificate with OU=web, made with `pki`; returns the ARN of
    /// trust anchor `lab` registered with the CA.
    func makeLabAnchor() throws -> String {
        let ca = run(
            "pki",
            [
                "init-ca", "--subject", "/O=Lab/CN=Lab Root", "--certificate", keys + "/ca.pem",
                "--private-key", keys + "/ca.key",
            ])
        guard ca.status == 0 else { throw TestFailure("init-ca: \(ca.stderr)") }
        let anchor = run("trust-anchor", ["add", "lab", "--certificates", keys + "/ca.pem"])
        guard anchor.status == 0 else { throw TestFailure("trust-anchor add: \(anchor.stderr)") }
        return anchor.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
