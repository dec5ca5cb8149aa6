public import Foundation

/// The generated test PKI (see `Tests/Fixtures/README.md`).
///
/// `Tests/Fixtures/make-pki.sh` runs at most once per test process, into
/// `NSTemporaryDirectory()/anchorage-fixtures-<hash of the script>`; the script itself takes a lock,
/// so parallel test processes (and other test targets using a copy of this file) never race.
/// Foundation only, like the rest of `AnchorageTestSupport`: the end-to-end tests use it without any product module.
public struct FixturePKI: Sendable {
    /// The generated directory (`certs/`, `keys/`, `crls/`, `serials/`).
    public let directory: URL

    /// The shared fixture PKI, generated on first use.
    public static func shared() throws -> FixturePKI {
        try cached.get()
    }

    private static let cached: Result<FixturePKI, TestFailure> = {
        do {
            return .success(try generate())
        } catch let error as TestFailure {
            return .failure(error)
        } catch {
            return .failure(TestFailure("fixture PKI generation failed: \(error)"))
        }
    }()

    public func certificate(_ name: String) -> URL { directory.appendingPathComponent("certs/\(name).pem") }
    public func privateKey(_ name: String) -> URL { directory.appendingPathComponent("keys/\(name).key") }
    public func crl(_ name: String) -> URL { directory.appendingPathComponent("crls/\(name).crl.pem") }
    public var caBundle: URL { certificate("ca-bundle") }
    public var intermediateChain: URL { certificate("chain-intermediate") }

    /// The certificate serial in decimal, as it appears in `Credential=`.
    public func serialDecimal(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent("serials/\(name).dec"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The certificate serial as lowercase hex without leading zeros (the default role session name).
    public func serialHex(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent("serials/\(name).hex"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    /// The DER bytes of a PEM certificate.
    public func der(_ name: String) throws -> Data {
        let pem = try String(contentsOf: certificate(name), encoding: .utf8)
        let body = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        guard let data = Data(base64Encoded: body) else { throw TestFailure("\(name).pem is not PEM") }
        return data
    }

    // MARK: - generation

    /// Walks up from this source file to the directory holding Package.swift.
    public static func packageRoot(from file: String = #filePath) throws -> URL {
        var dir = URL(fileURLWithPath: file).deletingLastPathComponent()
        while dir.path != "/" {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
                return dir
            }
            dir = dir.deletingLastPathComponent()
        }
        throw TestFailure("no Package.swift above \(file)")
    }

    public static var script: URL {
        get throws { try packageRoot().appendingPathComponent("Tests/Fixtures/make-pki.sh") }
    }

    private static func generate() throws -> FixturePKI {
        let script = try script
        guard let contents = FileManager.default.contents(atPath: script.path) else {
            throw TestFailure("cannot read \(script.path)")
        }
        let out = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("anchorage-fixtures-\(fnv1a64Hex(contents))")
        if !FileManager.default.fileExists(atPath: out.appendingPathComponent(".complete").path) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = [script.path, out.path]
            let errPipe = Pipe()
            process.standardError = errPipe
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let stderr = errPipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw TestFailure(
                    "make-pki.sh \(out.path) exited \(process.terminationStatus): "
                        + (String(data: stderr, encoding: .utf8) ?? ""))
            }
        }
        return FixturePKI(directory: out)
    }

    /// FNV-1a, 64 bit: enough to key the fixture directory on the script's contents.
    public static func fnv1a64Hex(_ data: Data) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
