import AnchorageTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Modules that report counts and lengths out of range, PIN files that are not plain files, and URIs with
/// NUL bytes: each a clear error, exit 1 or 64, nothing sent, never a crash or a hang.
extension HelperPKCS11Tests {
    struct ModuleCase: Sendable, CustomTestStringConvertible {
        /// FAKE_PKCS11_MODE.
        var mode: String
        /// `--certificate` (`{certificate}`: the EC leaf's certificate file) and `--private-key`.
        var keyFlags: [String]
        var call: String
        var testDescription: String { "\(mode): \(call)" }
    }

    static func moduleCases() -> [ModuleCase] {
        let withFile = ["--certificate", "{certificate}", "--private-key", "pkcs11:token=fake"]
        return [
            ModuleCase(mode: "slots", keyFlags: withFile, call: "C_GetSlotList"),
            ModuleCase(mode: "findcount", keyFlags: withFile, call: "C_FindObjects"),
            ModuleCase(
                mode: "attrlen", keyFlags: ["--certificate", "pkcs11:token=fake;object=x"], call: "C_GetAttributeValue"),
            ModuleCase(mode: "signlen", keyFlags: withFile, call: "C_Sign"),
            ModuleCase(mode: "signbig", keyFlags: withFile, call: "C_Sign"),
        ]
    }

    @Test(
        "a module reporting a count or length beyond its buffer: a clear error, exit 1, nothing sent",
        arguments: moduleCases())
    func invalidModuleLengths(_ moduleCase: ModuleCase) async throws {
        let module = try FakePKCS11Module.path()
        let pki = try FixturePKI.shared()
        let listener = try SilentListener()
        var environment = ProcessInfo.processInfo.environment
        environment["FAKE_PKCS11_MODE"] = moduleCase.mode
        let flags = moduleCase.keyFlags.map { $0 == "{certificate}" ? pki.certificate("leaf-ec-p256").path : $0 }
        let result = try await runProcess(
            try HelperBinary.path(),
            ["credential-process"] + flags + ["--pkcs11-lib", module]
                + Self.credentialFlags(endpoint: "https://127.0.0.1:\(listener.port)"),
            environment: environment, timeout: 30)
        #expect(result.status == 1, "\(result.summary)")
        #expect(
            result.stderr.contains("the PKCS#11 module returned an invalid length (\(moduleCase.call))"),
            "\(result.summary)")
        #expect(result.stdout.isEmpty, "\(result.summary)")
        #expect(listener.connections() == 0)
    }

    @Test("sign-string with a module reporting a 5000-byte signature into a 1024-byte buffer signs nothing")
    func signStringOversizedSignature() async throws {
        let module = try FakePKCS11Module.path()
        var environment = ProcessInfo.processInfo.environment
        environment["FAKE_PKCS11_MODE"] = "signbig"
        let result = try await runProcess(
            try HelperBinary.path(),
            ["sign-string", "--private-key", "pkcs11:token=fake", "--pkcs11-lib", module, "--format", "text"],
            environment: environment, timeout: 30)
        #expect(result.status == 1, "\(result.summary)")
        #expect(result.stderr.contains("the PKCS#11 module returned an invalid length (C_Sign)"), "\(result.summary)")
        #expect(result.stdout.isEmpty, "\(result.summary)")
    }

    struct PINSourceCase: Sendable, CustomTestStringConvertible {
        var name: String
        /// Makes the pin-source file in the folder given; returns its path.
        var make: @Sendable (URL) throws -> String
        var message: String
        var testDescription: String { name }
    }

    static func pinSourceCases() -> [PINSourceCase] {
        [
            PINSourceCase(
                name: "a FIFO nobody writes to (opened without waiting)",
                make: { dir in
                    let path = dir.appendingPathComponent("fifo").path
                    guard mkfifo(path, 0o600) == 0 else { throw TestFailure("mkfifo \(path) failed") }
                    return path
                }, message: "is not a regular file"),
            PINSourceCase(name: "/dev/zero", make: { _ in "/dev/zero" }, message: "is not a regular file"),
            PINSourceCase(
                name: "a file larger than 1 KiB",
                make: { dir in
                    let path = dir.appendingPathComponent("big").path
                    try String(repeating: "1", count: 4096).write(toFile: path, atomically: true, encoding: .utf8)
                    return path
                }, message: "is larger than 1024 bytes"),
            PINSourceCase(
                name: "two lines (the PIN is not cut at the first)",
                make: { dir in
                    let path = dir.appendingPathComponent("lines").path
                    try "\(SoftHSMToken.pin)\nmore\n".write(toFile: path, atomically: true, encoding: .utf8)
                    return path
                }, message: "must hold the PIN alone on one line"),
        ]
    }

    @Test(
        "a pin-source that is no plain one-line file: a clear error at once, exit 1, no hang, nothing sent",
        arguments: pinSourceCases())
    func badPINSource(_ pinCase: PINSourceCase) async throws {
        let token = try SoftHSMToken.shared()
        let listener = try SilentListener()
        let dir = token.directory.appendingPathComponent("pin-source-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = try pinCase.make(dir)
        // 20 s: a generous bound for a run that takes well under a second; a FIFO read would block until it.
        let result = try await runProcess(
            try HelperBinary.path(),
            [
                "credential-process", "--certificate", "\(Self.uriBase);object=ec?pin-source=\(path)",
                "--pkcs11-lib", SoftHSMToken.module,
            ] + Self.credentialFlags(endpoint: "https://127.0.0.1:\(listener.port)"),
            environment: token.environment, timeout: 20)
        #expect(result.status == 1, "\(result.summary)")
        #expect(result.stderr.contains("the PIN file (pin-source) \(path) \(pinCase.message)"), "\(result.summary)")
        #expect(result.stdout.isEmpty)
        #expect(listener.connections() == 0)
    }

    @Test(
        "a NUL byte in pin-source, module-path, token or object is a usage error (never a path cut short)",
        arguments: [
            "\(uriBase);object=ec?pin-source=/etc/hostname%00.ignored", "\(uriBase);object=ec%00x?pin-value=1234",
            "pkcs11:token=anchorage%00;object=ec?pin-value=1234",
            "\(uriBase);object=ec?pin-value=1234&module-path=/usr/lib/softhsm/libsofthsm2.so%00.x",
        ])
    func nulInURI(_ uri: String) async throws {
        let token = try SoftHSMToken.shared()
        let listener = try SilentListener()
        let result = try await runProcess(
            try HelperBinary.path(),
            ["credential-process", "--certificate", uri]
                + Self.credentialFlags(endpoint: "https://127.0.0.1:\(listener.port)"),
            environment: token.environment)
        #expect(result.status == 64, "\(result.summary)")
        #expect(result.stderr.contains("must not contain a NUL byte (%00)"), "\(result.summary)")
        #expect(listener.connections() == 0)
    }
}
