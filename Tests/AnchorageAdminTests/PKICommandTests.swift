import AnchorageConfig
import AnchorageCore
import AnchorageCrypto
import Foundation
import Testing

@testable import AnchorageAdmin

/// `anchorage pki issue --server` and `anchorage pki revoke`: what a newcomer needs to run a server and
/// revoke a workload with `anchorage pki` alone.
@Suite("pki: server certificates and CRLs")
struct PKICommandTests {
    func certificate(_ path: String) throws -> Certificate {
        let bytes = try #require(FileManager.default.contents(atPath: path), "\(path) missing")
        return try #require(try Certificate.parsePEMBundle([UInt8](bytes)).first)
    }

    func crl(_ path: String) throws -> CertificateRevocationList {
        let bytes = try #require(FileManager.default.contents(atPath: path), "\(path) missing")
        return try #require(try CertificateRevocationList.parse(fileBytes: [UInt8](bytes)).first)
    }

    /// `pki issue` signed by the harness's lab CA.
    func issue(_ admin: AdminHarness, _ name: String, _ extra: [String] = []) -> AdminHarness.Result {
        admin.run(
            "pki",
            [
                "issue", "--ca-certificate", admin.keys + "/ca.pem", "--ca-private-key", admin.keys + "/ca.key",
                "--subject", "/O=Lab/OU=web/CN=\(name)", "--certificate", admin.keys + "/\(name).pem",
                "--private-key", admin.keys + "/\(name).key",
            ] + extra)
    }

    @Test("issue --server: serverAuth with the DNS and IP names given; a workload certificate is not one")
    func serverCertificate() throws {
        let admin = try AdminHarness()
        _ = try admin.makeLabAnchor()
        let server = issue(
            admin, "anchorage", ["--server", "--dns", "anchorage.lab.test", "--ip", "127.0.0.1", "--ip", "::1"])
        #expect(server.status == 0, "\(server.stderr)")
        let issued = try certificate(admin.keys + "/anchorage.pem")
        #expect(issued.isUsableForTLSServer)
        #expect(!issued.isCA)
        #expect(issued.subjectAlternativeNames.dnsNames == ["anchorage.lab.test"])
        #expect(issued.subjectAlternativeNames.ipAddresses.count == 2)
        #expect(issued.subjectAlternativeNames.ipAddresses.first == "127.0.0.1")

        let workload = issue(admin, "web-1", ["--dns", "web-1.lab.test"])
        #expect(workload.status == 0, "\(workload.stderr)")
        #expect(!(try certificate(admin.keys + "/web-1.pem").isUsableForTLSServer))
    }

    @Test(
        "issue --server refuses what cannot make a server certificate (usage error, nothing written)",
        arguments: [
            ["--server"], ["--server", "--intermediate", "--dns", "a.test"], ["--server", "--ip", "300.1.1.1"],
            ["--ip", "localhost"],
        ])
    func serverCertificateUsageErrors(_ extra: [String]) throws {
        let admin = try AdminHarness()
        _ = try admin.makeLabAnchor()
        let result = issue(admin, "bad", extra)
        #expect(result.status == 64, "\(extra): \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: admin.keys + "/bad.pem"))
        #expect(!FileManager.default.fileExists(atPath: admin.keys + "/bad.key"))
    }

    @Test("revoke writes the CA's CRL; a second revoke keeps the first entries and their dates; crl import takes it")
    func revokeWritesACRL() throws {
        let admin = try AdminHarness()
        _ = try admin.makeLabAnchor()
        for name in ["web-1", "web-2", "web-3"] { #expect(issue(admin, name).status == 0) }
        let crlFile = admin.keys + "/lab.crl.pem"
        let ca = ["--ca-certificate", admin.keys + "/ca.pem", "--ca-private-key", admin.keys + "/ca.key"]

        let first = admin.run("pki", ["revoke"] + ca + ["--crl", crlFile, "--certificate", admin.keys + "/web-1.pem"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == crlFile + "\n")
        let web1 = try certificate(admin.keys + "/web-1.pem")
        let web2 = try certificate(admin.keys + "/web-2.pem")
        let web3 = try certificate(admin.keys + "/web-3.pem")
        let caCertificate = try certificate(admin.keys + "/ca.pem")
        let afterFirst = try crl(crlFile)
        #expect(afterFirst.isNamedAsIssuer(caCertificate) && afterFirst.isSignatureValid(issuedBy: caCertificate))
        #expect(afterFirst.revokedEntries.map(\.serial) == [web1.serialNumberBytes])
        #expect(afterFirst.lists(web1) && !afterFirst.lists(web2))

        // By serial, as `pki issue` printed it; web-1 again is a note, not a second entry.
        let second = admin.run(
            "pki",
            ["revoke"] + ca + [
                "--crl", crlFile, "--serial", web2.serialNumberHex, "--certificate", admin.keys + "/web-1.pem",
            ])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("already revoked"))
        let afterSecond = try crl(crlFile)
        #expect(afterSecond.revokedCount == 2)
        #expect(afterSecond.lists(web1) && afterSecond.lists(web2) && !afterSecond.lists(web3))
        let firstDate = try #require(afterFirst.revokedEntries.first?.date)
        #expect(afterSecond.revokedEntries.first { $0.serial == web1.serialNumberBytes }?.date == firstDate)

        let imported = admin.run("crl", ["import", "lab", crlFile])
        #expect(imported.status == 0, "\(imported.stderr)")
        let configuration = try ConfigurationLoader(pkiDirectory: admin.pki, profilesDirectory: admin.profiles)
            .load(generation: 1)
        #expect(configuration.trustAnchors.values.first?.revocationLists.count == 1)
    }

    @Test("revoke refuses another CA's certificate or CRL, and a serial that is not hex; the CRL stays as it was")
    func revokeRefusals() throws {
        let admin = try AdminHarness()
        _ = try admin.makeLabAnchor()
        #expect(issue(admin, "web-1").status == 0)
        let other = admin.run(
            "pki",
            [
                "init-ca", "--subject", "/O=Other/CN=Other Root", "--certificate", admin.keys + "/other.pem",
                "--private-key", admin.keys + "/other.key",
            ])
        #expect(other.status == 0, "\(other.stderr)")
        let crlFile = admin.keys + "/lab.crl.pem"
        let ca = ["--ca-certificate", admin.keys + "/ca.pem", "--ca-private-key", admin.keys + "/ca.key"]
        #expect(admin.run("pki", ["revoke"] + ca + ["--crl", crlFile]).status == 0)
        let before = try #require(FileManager.default.contents(atPath: crlFile))
        #expect(try crl(crlFile).revokedCount == 0)

        let foreign = admin.run(
            "pki", ["revoke"] + ca + ["--crl", crlFile, "--certificate", admin.keys + "/other.pem"])
        #expect(foreign.status == 1 && foreign.stderr.contains("is not issued by"), "\(foreign.stderr)")
        let notHex = admin.run("pki", ["revoke"] + ca + ["--crl", crlFile, "--serial", "zz12"])
        #expect(notHex.status == 64, "\(notHex.stderr)")
        let otherCA = [
            "--ca-certificate", admin.keys + "/other.pem", "--ca-private-key", admin.keys + "/other.key",
        ]
        let wrongList = admin.run("pki", ["revoke"] + otherCA + ["--crl", crlFile])
        #expect(wrongList.status == 1 && wrongList.stderr.contains("is a CRL of"), "\(wrongList.stderr)")
        #expect(FileManager.default.contents(atPath: crlFile) == before)
    }

    @Test("a file in a directory that does not exist: the error names that directory, not a temporary file")
    func missingDirectoryIsNamed() throws {
        let admin = try AdminHarness()
        let missing = admin.root + "/lab"
        let result = admin.run(
            "pki",
            [
                "init-ca", "--subject", "/O=Lab/CN=Lab Root", "--certificate", admin.keys + "/ca.pem",
                "--private-key", missing + "/ca.key",
            ])
        #expect(result.status == 1)
        #expect(result.stderr.contains("the directory \(missing) does not exist"), "\(result.stderr)")
        #expect(!result.stderr.contains(".tmp-"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: admin.keys + "/ca.pem"))
    }

    @Test(
        "list on a configuration directory that does not exist is an error; on an empty one, an empty list",
        arguments: [["trust-anchor", "list"], ["crl", "list"], ["profile", "list"], ["role", "list"]])
    func listNeedsTheDirectory(_ command: [String]) throws {
        let admin = try AdminHarness()
        let missing = admin.run(command[0], Array(command.dropFirst()))
        #expect(missing.status == 1, "\(command): \(missing.stdout)")
        let directory = command[0] == "profile" || command[0] == "role" ? admin.profiles : admin.pki
        #expect(missing.stderr.contains("\(directory) is not a directory"), "\(missing.stderr)")
        #expect(missing.stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: directory))

        try FileManager.default.createDirectory(atPath: admin.pki, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: admin.profiles, withIntermediateDirectories: true)
        let empty = admin.run(command[0], Array(command.dropFirst()) + ["--json"])
        #expect(empty.status == 0, "\(empty.stderr)")
        #expect(empty.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]")
    }
}
