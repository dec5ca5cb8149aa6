import AnchorageTestSupport
import Foundation
import Testing

/// Locates `anchorage-helper` like `AnchorageBinary`: `.build/debug/anchorage-helper` or `$ANCHORAGE_HELPER_BINARY`.
enum HelperBinary {
    static func path() throws -> String {
        if let override = ProcessInfo.processInfo.environment["ANCHORAGE_HELPER_BINARY"], !override.isEmpty {
            return override
        }
        let candidate = try FixturePKI.packageRoot().appendingPathComponent(".build/debug/anchorage-helper").path
        guard FileManager.default.isExecutableFile(atPath: candidate) else {
            throw TestFailure("anchorage-helper not found at \(candidate); run `swift build --build-tests` first")
        }
        return candidate
    }
}

/// How the helper gets its certificate and key in a test.
struct HelperIdentity: Sendable, CustomTestStringConvertible {
    var name: String
    var leaf: String
    /// Flags naming the files (`--certificate`, `--private-key`, `--intermediates`, `--pkcs8-password`).
    var flags: [String]
    var testDescription: String { name }
}

/// Key and certificate formats made from the fixture PKI with the `openssl` CLI (once per process):
/// SEC1, PKCS#1, encrypted PKCS#8 (PBES2) and PKCS#12 with the chain.
enum HelperInputs {
    static let password = "correct horse"

    static func directory() throws -> URL { try cached.get() }

    private static let cached: Result<URL, TestFailure> = {
        do {
            let pki = try FixturePKI.shared()
            let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
                "anchorage-helper-inputs-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            func openssl(_ args: [String]) throws {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                p.arguments = ["openssl"] + args
                p.standardOutput = FileHandle.nullDevice
                let err = Pipe()
                p.standardError = err
                try p.run()
                let text = err.fileHandleForReading.readDataToEndOfFile()
                p.waitUntilExit()
                guard p.terminationStatus == 0 else {
                    throw TestFailure(
                        "openssl \(args.joined(separator: " ")): \(String(decoding: text, as: UTF8.self))")
                }
            }
            let out = { (name: String) in dir.appendingPathComponent(name).path }
            try openssl(["ec", "-in", pki.privateKey("leaf-ec-p256").path, "-out", out("ec-sec1.key")])
            try openssl([
                "rsa", "-in", pki.privateKey("leaf-rsa-2048").path, "-traditional", "-out", out("rsa-pkcs1.key"),
            ])
            for leaf in ["leaf-ec-p256", "leaf-rsa-2048"] {
                try openssl([
                    "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", pki.privateKey(leaf).path,
                    "-passout", "pass:\(password)", "-out", out("\(leaf)-encrypted.key"),
                ])
            }
            for leaf in ["leaf-ec-p256-int", "leaf-rsa-2048-int"] {
                try openssl([
                    "pkcs12", "-export", "-inkey", pki.privateKey(leaf).path, "-in", pki.certificate(leaf).path,
                    "-certfile", pki.intermediateChain.path, "-passout", "pass:", "-out", out("\(leaf).p12"),
                ])
            }
            return .success(dir)
        } catch let error as TestFailure {
            return .failure(error)
        } catch {
            return .failure(TestFailure("\(error)"))
        }
    }()

    static func identities() throws -> [HelperIdentity] {
        let pki = try FixturePKI.shared()
        let dir = try directory()
        func file(_ name: String) -> String { dir.appendingPathComponent(name).path }
        return [
            HelperIdentity(
                name: "EC P-256, PKCS#8", leaf: "leaf-ec-p256",
                flags: [
                    "--certificate", pki.certificate("leaf-ec-p256").path, "--private-key",
                    pki.privateKey("leaf-ec-p256").path,
                ]),
            HelperIdentity(
                name: "RSA-2048, PKCS#8", leaf: "leaf-rsa-2048",
                flags: [
                    "--certificate", pki.certificate("leaf-rsa-2048").path, "--private-key",
                    pki.privateKey("leaf-rsa-2048").path,
                ]),
            HelperIdentity(
                name: "EC P-256, SEC1", leaf: "leaf-ec-p256",
                flags: ["--certificate", pki.certificate("leaf-ec-p256").path, "--private-key", file("ec-sec1.key")]),
            HelperIdentity(
                name: "RSA-2048, PKCS#1", leaf: "leaf-rsa-2048",
                flags: ["--certificate", pki.certificate("leaf-rsa-2048").path, "--private-key", file("rsa-pkcs1.key")]),
            HelperIdentity(
                name: "EC P-256, encrypted PKCS#8", leaf: "leaf-ec-p256",
                flags: [
                    "--certificate", pki.certificate("leaf-ec-p256").path,
                    "--private-key", file("leaf-ec-p256-encrypted.key"), "--pkcs8-password", password,
                ]),
            HelperIdentity(
                name: "RSA-2048, encrypted PKCS#8", leaf: "leaf-rsa-2048",
                flags: [
                    "--certificate", pki.certificate("leaf-rsa-2048").path,
                    "--private-key", file("leaf-rsa-2048-encrypted.key"), "--pkcs8-password", password,
                ]),
            HelperIdentity(
                name: "EC P-256 + intermediate, PKCS#12", leaf: "leaf-ec-p256-int",
                flags: ["--certificate", file("leaf-ec-p256-int.p12")]),
            HelperIdentity(
                name: "RSA-2048 + intermediate, PKCS#12", leaf: "leaf-rsa-2048-int",
                flags: ["--certificate", file("leaf-rsa-2048-int.p12")]),
            HelperIdentity(
                name: "RSA-2048 + intermediate, PEM --intermediates", leaf: "leaf-rsa-2048-int",
                flags: [
                    "--certificate", pki.certificate("leaf-rsa-2048-int").path,
                    "--private-key", pki.privateKey("leaf-rsa-2048-int").path,
                    "--intermediates", pki.intermediateChain.path,
                ]),
        ]
    }

    /// The credential flags for the web profile's web-reader role against `server`.
    static func arguments(
        _ identity: HelperIdentity, _ server: AnchorageServerProcess, roleArn: String = ARNs.webReader
    ) throws
        -> [String]
    {
        identity.flags + [
            "--trust-anchor-arn", ARNs.rsaRootAnchor, "--profile-arn", ARNs.webProfile, "--role-arn", roleArn,
            "--endpoint", "https://\(server.endpoint)", "--ca-bundle", try FixturePKI.shared().caBundle.path,
        ]
    }
}

/// A long-running helper (`serve`, or a proxy script): output to files, SIGTERM at process exit.
final class BackgroundProcess: @unchecked Sendable {
    let process = Process()
    let stdoutURL: URL
    let stderrURL: URL

    init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
            "anchorage-helper-bg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        stdoutURL = dir.appendingPathComponent("stdout")
        stderrURL = dir.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        process.standardInput = FileHandle.nullDevice
        try runWithDefaultSignalMask(process)
        ServerRegistry.shared.register(process)
    }

    var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    /// Waits (≤ `seconds`) for a stdout line starting with `prefix`; returns the rest of it.
    func waitForLine(prefix: String, seconds: Double = 20) async throws -> String {
        let found = try await poll(for: seconds) { () -> String? in
            for line in stdout.split(separator: "\n") where line.hasPrefix(prefix) {
                return String(line.dropFirst(prefix.count))
            }
            if !process.isRunning { return "" }
            return nil
        }
        guard let found, !found.isEmpty else {
            throw TestFailure("no `\(prefix)…` line; stdout:\n\(stdout)\nstderr:\n\(stderr)")
        }
        return found
    }

    func stop() {
        ServerRegistry.shared.unregister(process)
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}
