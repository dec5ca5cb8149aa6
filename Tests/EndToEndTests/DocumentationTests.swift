import AnchorageTestSupport
import Foundation
import Testing

/// The documentation says what the code does: the admin article's example runs as written, and the layout
/// article lists exactly the targets of `Package.swift`.
@Suite("documentation end to end")
struct DocumentationTests {
    static func text(_ relativePath: String) throws -> String {
        try String(
            contentsOf: try FixturePKI.packageRoot().appendingPathComponent(relativePath), encoding: .utf8)
    }

    /// The first fenced block after `heading` in `markdown`, without its fences.
    static func firstCodeBlock(after heading: String, in markdown: String) throws -> String {
        guard let start = markdown.range(of: "\n" + heading + "\n") else {
            throw TestFailure("no heading \(heading)")
        }
        let rest = markdown[start.upperBound...]
        guard let open = rest.range(of: "\n```"), let lineEnd = rest[open.upperBound...].firstIndex(of: "\n"),
            let close = rest[lineEnd...].range(of: "\n```")
        else { throw TestFailure("no code block after \(heading)") }
        return String(rest[rest.index(after: lineEnd)..<close.lowerBound]) + "\n"
    }

    @Test("the admin article's \"configuration from nothing\" runs top to bottom in an empty directory")
    func adminExampleRunsAsWritten() async throws {
        let article = try Self.text("Sources/AnchorageAdmin/AnchorageAdmin.docc/AdminCLI.md")
        let script = try Self.firstCodeBlock(after: "## A configuration from nothing", in: article)
        #expect(script.contains("anchorage pki revoke") && script.contains("anchorage validate"), "\(script)")

        let root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("anchorage-e2e-doc-\(UUID())")
        let work = root.appendingPathComponent("work")
        let home = root.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let scriptFile = root.appendingPathComponent("example.sh")
        try Data(script.utf8).write(to: scriptFile)

        // `anchorage` on PATH as the README puts it there; `~` is a fresh home, so `~/lab` starts missing.
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] =
            try AnchorageBinary.url().deletingLastPathComponent().path + ":" + (environment["PATH"] ?? "")
        environment["HOME"] = home.path
        let result = try await runProcess(
            "/bin/bash", ["-eu", scriptFile.path], environment: environment, currentDirectory: work, timeout: 300)
        #expect(result.status == 0, "\(result.summary)")
        #expect(result.stdout.contains("ALLOWED"), "\(result.stdout)")
        #expect(result.stdout.contains("DENIED (certificate_revoked)"), "\(result.stdout)")
        #expect(result.stdout.contains("web-2: denied"), "\(result.stdout)")
        for file in ["PKI/trust-anchors/lab/crls/lab.pem", "Profiles/web.json", "Profiles/roles/web-reader.json"] {
            #expect(FileManager.default.fileExists(atPath: work.appendingPathComponent(file).path), "\(file)")
        }
        var info = stat()
        #expect(stat(home.appendingPathComponent("lab/ca.key").path, &info) == 0 && info.st_mode & 0o777 == 0o600)
    }

    @Test("the layout article's tables list exactly the targets of Package.swift")
    func layoutMatchesThePackage() throws {
        let manifest = try Self.text("Package.swift")
        let targetsSection = try #require(manifest.range(of: "targets: ["))
        let declared = Set(
            manifest[targetsSection.upperBound...].matches(of: /name: "([A-Za-z0-9]+)"/).map { String($0.output.1) })
        let article = try Self.text("Sources/AnchorageMain/AnchorageMain.docc/Layout.md")
        let listed = Set(article.matches(of: /\n\| `([A-Za-z0-9]+)` \|/).map { String($0.output.1) })
        #expect(declared.count >= 20, "\(declared)")
        #expect(
            listed == declared,
            "only in Package.swift: \(declared.subtracting(listed)); only in the article: \(listed.subtracting(declared))"
        )
    }
}
