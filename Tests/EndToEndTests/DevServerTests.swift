import AnchorageTestSupport
import Foundation
import Testing

/// `anchorage serve --dev` off its defaults: `--listen` (port 0 picks one) and `--state-dir`, with the
/// credential_process line it writes pointing at the port actually bound.
@Suite("anchorage serve --dev end to end")
struct DevServerTests {
    @Test("--dev --listen 127.0.0.1:0 --state-dir: serves on the chosen port; its aws-config line gets credentials")
    func devWithListenAndStateDirectory() async throws {
        let work = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("anchorage-e2e-dev-\(UUID())")
        let state = work.appendingPathComponent("elsewhere/state")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let out = work.appendingPathComponent("stdout.log")
        let err = work.appendingPathComponent("stderr.log")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)

        let process = Process()
        process.executableURL = try AnchorageBinary.url()
        process.arguments = ["serve", "--dev", "--listen", "127.0.0.1:0", "--state-dir", state.path]
        process.currentDirectoryURL = work
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try runWithDefaultSignalMask(process)
        ServerRegistry.shared.register(process)
        defer {
            ServerRegistry.shared.unregister(process)
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
        }
        // Generous: the first --dev start generates its PKI, and CI machines are loaded.
        let port = try await poll(for: 60) { () -> Int? in
            let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
            if !process.isRunning {
                throw TestFailure(
                    "serve --dev exited:\n\(text)\n\((try? String(contentsOf: err, encoding: .utf8)) ?? "")")
            }
            return AnchorageServerProcess.parseListeningPort(text)
        }
        let bound = try #require(port, "no `listening on` line")
        #expect(bound != 8443)
        let stdout = try String(contentsOf: out, encoding: .utf8)
        #expect(stdout.contains("--endpoint-url https://127.0.0.1:\(bound)"), "\(stdout)")

        // The credential_process line of the profile --dev wrote, run as the AWS CLI would run it.
        let config = try String(
            contentsOf: work.appendingPathComponent(".anchorage-dev/aws-config"), encoding: .utf8)
        let line = try #require(config.split(separator: "\n").first { $0.hasPrefix("credential_process = ") })
        let command = line.dropFirst("credential_process = ".count).split(separator: " ").map(String.init)
        #expect(command.contains("https://127.0.0.1:\(bound)"), "\(line)")
        let result = try await runProcess(command[0], Array(command.dropFirst()))
        #expect(result.status == 0, "\(result.summary)")
        let credentials = try JSONValue.parse(result.stdout)
        #expect(credentials["AccessKeyId"]?.string?.hasPrefix("ASIA") == true, "\(result.stdout)")
        IssuedSecrets.shared.record(credentials["SecretAccessKey"]?.string, credentials["SessionToken"]?.string)

        // The admin commands it prints work as printed, from the directory it ran in, with no AWS setting of ours.
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("AWS_") }
        environment["AWS_EC2_METADATA_DISABLED"] = "true"
        let printed = stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(
            printed.contains { $0.contains("aws rolesanywhere list-trust-anchors --profile anchorage-dev-admin") },
            "\(stdout)")
        let listRoles = try #require(printed.first { $0.contains("aws iam list-roles") }, "\(stdout)")
        let roles = try await runProcess(
            "/bin/sh", ["-c", listRoles + " --output json"], environment: environment, currentDirectory: work,
            timeout: 90)
        #expect(roles.status == 0, "\(listRoles)\n\(roles.summary)")
        let names = try JSONValue.parse(roles.stdout)["Roles"]?.array?.compactMap { $0["RoleName"]?.string }
        #expect(names == ["dev-admin", "dev-reader"], "\(roles.stdout)")
        let audit = try String(contentsOf: state.appendingPathComponent("audit.jsonl"), encoding: .utf8)
        #expect(
            audit.contains(#""action":"iam:ListRoles""#)
                && audit.contains(#""roleArn":"arn:aws:iam::123456789012:role/dev-admin""#))

        // The audit log and keyring are in --state-dir, not in .anchorage-dev/state.
        #expect(FileManager.default.fileExists(atPath: state.appendingPathComponent("audit.jsonl").path))
        #expect(FileManager.default.fileExists(atPath: state.appendingPathComponent("token-keyring.json").path))
        #expect(!FileManager.default.fileExists(atPath: work.appendingPathComponent(".anchorage-dev/state").path))
    }

    @Test("--dev with any other option is a usage error naming it")
    func devRefusesOtherOptions() async throws {
        let work = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("anchorage-e2e-dev-\(UUID())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let result = try await runProcess(
            try AnchorageBinary.url().path, ["serve", "--dev", "--pki", work.path, "--listen", "127.0.0.1:0"])
        #expect(result.status == 64, "\(result.summary)")
        #expect(result.stderr.contains("--dev takes only --listen and --state-dir, not --pki"), "\(result.summary)")
    }
}
