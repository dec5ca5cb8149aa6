import AnchorageTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A software TPM (`swtpm socket --tpm2`) started for the test process, holding the keys that
/// `Tests/Fixtures/make-tpm-keys.sh` makes: an EC key at handle 0x81000001 and an RSA TSS2 key file.
enum SoftwareTPM {
    struct TPM: Sendable {
        let directory: URL
        let port: UInt16
        var tcti: String { "swtpm:host=127.0.0.1,port=\(port)" }
        var environment: [String: String] {
            var env = ProcessInfo.processInfo.environment
            env["TPM2TOOLS_TCTI"] = tcti
            env["TPM2OPENSSL_TCTI"] = tcti
            return env
        }
        func file(_ name: String) -> String { directory.appendingPathComponent(name).path }
    }

    static let tssPassword = "s3cret"

    static func shared() throws -> TPM { try cached.get() }

    /// Two consecutive free ports (the TPM's command and control sockets).
    private static func freePortPair() throws -> UInt16 {
        for _ in 0..<20 {
            let probe = try SilentListener()
            let next = try? SilentListener(port: probe.port &+ 1)
            if next != nil, probe.port < 65000 { return probe.port }
        }
        throw TestFailure("no two consecutive free ports for swtpm")
    }

    private static func accepts(_ port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        } == 0
    }

    private static let cached: Result<TPM, TestFailure> = {
        do {
            let pki = try FixturePKI.shared()
            let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
                "anchorage-swtpm-\(UUID().uuidString)")
            let state = dir.appendingPathComponent("state")
            try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
            let port = try freePortPair()
            let swtpm = try BackgroundProcess(
                "/usr/bin/env",
                [
                    "swtpm", "socket", "--tpm2", "--server", "type=tcp,port=\(port),bindaddr=127.0.0.1", "--ctrl",
                    "type=tcp,port=\(port + 1),bindaddr=127.0.0.1", "--tpmstate", "dir=\(state.path)", "--flags",
                    "not-need-init,startup-clear",
                ])
            var waited = 0
            while !accepts(port + 1) {
                guard swtpm.process.isRunning, waited < 200 else {
                    throw TestFailure("swtpm did not start: \(swtpm.stderr)")
                }
                usleep(50_000)
                waited += 1
            }
            let tpm = TPM(directory: dir, port: port)
            let script = try FixturePKI.packageRoot().appendingPathComponent("Tests/Fixtures/make-tpm-keys.sh")
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = [script.path, dir.path, pki.directory.path]
            p.environment = tpm.environment
            let out = Pipe()
            p.standardOutput = out
            p.standardError = out
            try p.run()
            let text = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else {
                throw TestFailure("make-tpm-keys.sh: \(String(decoding: text, as: UTF8.self))")
            }
            return .success(tpm)
        } catch let error as TestFailure {
            return .failure(error)
        } catch {
            return .failure(TestFailure("\(error)"))
        }
    }()

    /// The certificate's serial as the audit log writes it: lowercase hex of whole bytes, as `openssl x509 -serial`
    /// prints it (so a serial may start with `0`).
    static func serialHex(_ certificate: String) async throws -> String {
        let r = try await runProcess("/usr/bin/env", ["openssl", "x509", "-noout", "-serial", "-in", certificate])
        let hex = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "serial=", with: "")
        return hex.lowercased()
    }
}

/// `anchorage-helper` with TPM 2.0 keys (swtpm + the tpm2 OpenSSL provider), against a real `anchorage serve`.
/// Serialized: swtpm serves one client connection at a time.
@Suite("anchorage-helper with TPM 2.0 keys", .serialized)
struct HelperTPMTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var certificate: String
        var flags: [String]
        var testDescription: String { name }
    }

    static func cases() -> [Case] {
        [
            Case(
                name: "EC P-256 at a persistent handle, no password", certificate: "handle.pem",
                flags: ["--private-key", "handle:0x81000001", "--no-tpm-key-password"]),
            Case(
                name: "RSA-2048 TSS2 key file with a password", certificate: "tss2-rsa.pem",
                flags: ["--private-key", "tss2-rsa.key", "--tpm-key-password", SoftwareTPM.tssPassword]),
        ]
    }

    @Test("credential-process signs CreateSession in the TPM", arguments: cases())
    func credentialProcess(_ testCase: Case) async throws {
        let tpm = try SoftwareTPM.shared()
        let context = try await SharedServer.shared.context()
        let flags = testCase.flags.map { $0.hasSuffix(".key") ? tpm.file($0) : $0 }
        let result = try await runProcess(
            try HelperBinary.path(),
            ["credential-process", "--certificate", tpm.file(testCase.certificate)] + flags
                + HelperPKCS11Tests.credentialFlags(endpoint: "https://\(context.server.endpoint)"),
            environment: tpm.environment)
        #expect(result.status == 0, "\(result.summary)")
        let json = try JSONValue.parse(result.stdout)
        let akid = try #require(json["AccessKeyId"]?.string, "\(result.summary)")
        IssuedSecrets.shared.record(json["SecretAccessKey"]?.string, json["SessionToken"]?.string)
        let entry = try #require(try context.server.auditEntries().first { $0["accessKeyId"]?.string == akid })
        let serial = try await SoftwareTPM.serialHex(tpm.file(testCase.certificate))
        #expect(entry["certificate"]?["serialHex"]?.string?.lowercased() == serial)
        #expect(!result.stderr.contains(SoftwareTPM.tssPassword))
    }

    @Test("update --once with a TPM handle writes credentials")
    func updateOnce() async throws {
        let tpm = try SoftwareTPM.shared()
        let context = try await SharedServer.shared.context()
        var env = tpm.environment
        env["AWS_SHARED_CREDENTIALS_FILE"] = tpm.file("credentials-\(UUID().uuidString)")
        let result = try await runProcess(
            try HelperBinary.path(),
            [
                "update", "--once", "--certificate", tpm.file("handle.pem"), "--private-key", "handle:0x81000001",
                "--no-tpm-key-password",
            ] + HelperPKCS11Tests.credentialFlags(endpoint: "https://\(context.server.endpoint)"), environment: env)
        #expect(result.status == 0, "\(result.summary)")
        let text = try String(contentsOfFile: try #require(env["AWS_SHARED_CREDENTIALS_FILE"]), encoding: .utf8)
        #expect(text.contains("aws_access_key_id = ASIA") || text.contains("aws_access_key_id=ASIA"), "\(text)")
    }

    @Test(
        "a wrong TPM password, a handle without a password flag, a file key with no terminal: an error, nothing sent",
        arguments: [
            (["--private-key", "tss2-rsa.key", "--tpm-key-password", "wrong"], Int32(1), "wrong --tpm-key-password"),
            (["--private-key", "handle:0x81000001"], Int32(64), "pass --tpm-key-password or --no-tpm-key-password"),
            (["--private-key", "tss2-rsa.key"], Int32(1), "cannot load the TPM key"),
            (["--private-key", "handle:0x81000002", "--no-tpm-key-password"], Int32(1), "cannot load the TPM key"),
        ])
    func failures(_ flags: [String], _ status: Int32, _ message: String) async throws {
        let tpm = try SoftwareTPM.shared()
        let listener = try SilentListener()
        let certificate = flags[1].hasPrefix("handle:") ? "handle.pem" : "tss2-rsa.pem"
        let result = try await runProcess(
            try HelperBinary.path(),
            ["credential-process", "--certificate", tpm.file(certificate)]
                + flags.map { $0.hasSuffix(".key") ? tpm.file($0) : $0 }
                + HelperPKCS11Tests.credentialFlags(endpoint: "https://127.0.0.1:\(listener.port)"),
            environment: tpm.environment)
        #expect(result.status == status, "\(result.summary)")
        #expect(result.stderr.contains(message), "\(result.summary)")
        #expect(listener.connections() == 0)
        #expect(!result.stderr.contains("wrong\n") && !result.stderr.contains(SoftwareTPM.tssPassword))
    }
}
