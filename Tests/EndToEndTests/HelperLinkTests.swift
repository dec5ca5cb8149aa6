import AnchorageTestSupport
import Foundation
import Testing

/// How `anchorage-helper` is linked (Package.swift, Helper.md): OpenSSL's static archives, so no libssl or libcrypto is
/// loaded and bound at each start, and none of OpenSSL's symbols exported, so that a PKCS#11 module or the tpm2
/// provider that loads the system's libcrypto keeps using its own copy (the PKCS#11 and TPM suites run this binary).
@Suite("anchorage-helper's link")
struct HelperLinkTests {
    private func readelf(_ arguments: [String]) async throws -> String {
        let candidates = ["/usr/bin/readelf", "/bin/readelf"]
        guard let tool = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw TestFailure("readelf (binutils) is needed to inspect the helper's link; looked in \(candidates)")
        }
        let result = try await runProcess(tool, arguments + [try HelperBinary.path()])
        guard result.status == 0 else { throw TestFailure(result.summary) }
        return result.stdout
    }

    @Test("no libssl or libcrypto among the helper's shared libraries")
    func noSharedOpenSSL() async throws {
        let needed = try await readelf(["-d", "-W"]).split(separator: "\n").filter { $0.contains("(NEEDED)") }
        #expect(!needed.isEmpty, "the helper is dynamically linked against the C library, so it needs something")
        let openSSL = needed.filter { $0.contains("libssl") || $0.contains("libcrypto") }
        #expect(openSSL.isEmpty, "the helper loads OpenSSL's shared libraries: \(openSSL)")
    }

    @Test("OpenSSL's functions are in the helper but not in its dynamic symbol table")
    func openSSLNotExported() async throws {
        let all = try await readelf(["-s", "-W"])
        let dynamic = try await readelf(["--dyn-syms", "-W"])
        func defines(_ table: String, _ name: String) -> Bool {
            table.split(separator: "\n").contains { line in
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                // Num: Value Size Type Bind Vis Ndx Name — defined when Ndx is a section number.
                return fields.count >= 8 && fields[7] == name && fields[6] != "UND"
            }
        }
        for name in ["SSL_CTX_new", "EVP_DigestSign", "X509_verify_cert"] {
            #expect(defines(all, name), "\(name) is not linked into the helper")
            #expect(!defines(dynamic, name), "\(name) is exported from the helper")
        }
    }
}
