import AnchorageConfig
import AnchorageConfigFixtures
import AnchorageCore
import AnchorageCrypto
import AnchorageTestSupport
import Foundation
import Testing

/// `ConfigurationWriter`: what it writes is what the loader (`validate`, `serve`) reads back, in the contract's shapes.
@Suite struct ConfigurationWriterTests {
    static let pki = TestPKI.shared

    static func writer(_ directory: TemporaryDirectory, synced: Bool = true) -> ConfigurationWriter {
        ConfigurationWriter(
            pkiDirectory: directory.url("PKI"), profilesDirectory: directory.url("Profiles"), synced: synced)
    }

    static func load(_ directory: TemporaryDirectory) throws -> Configuration {
        try ConfigurationLoader(pkiDirectory: directory.url("PKI"), profilesDirectory: directory.url("Profiles"))
            .load(generation: 1)
    }

    static let mappings = try! JSONParser.parse(
        #"[{"certificateField": "x509Subject", "mappingRules": [{"specifier": "CN"}, {"specifier": "OU"}]}]"#)

    // MARK: - Round trips

    @Test(arguments: [true, false])
    func everyResourceWrittenLoadsBackWithItsValues(synced: Bool) throws {
        let directory = TemporaryDirectory()
        let writer = Self.writer(directory, synced: synced)
        let crl = try DER.crl(issuer: Self.pki.ca, signingKey: Self.pki.caKey, revokedSerials: [[0x04, 0x56]])
        try writer.addTrustAnchor(
            name: "main", arn: anchorArn, certificatesPEM: ConfigurationWriter.certificatesPEM([Self.pki.ca]),
            crls: [("main", DER.pem(crl, label: "X509 CRL"))])
        try writer.addTrustAnchor(
            name: "second", arn: secondAnchorArn, enabled: false, certificatesPEM: Self.pki.otherCA.pemString)
        let policy = ConfigFixture.policy()
        try writer.writeRole(
            RoleDocument(arn: roleArn, maxSessionDuration: 7200, description: "reads", trustPolicy: policy))
        let full = ProfileDocument(
            name: "web", arn: profileArn, enabled: true, roleArns: [roleArn], durationSeconds: 1800,
            acceptRoleSessionName: true, sessionPolicy: #"{"Version":"2012-10-17","Statement":[]}"#,
            managedPolicyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"], attributeMappings: Self.mappings)
        try writer.writeProfile(full)
        try writer.writeProfile(
            ProfileDocument(name: "minimal", arn: minimalProfileArn, enabled: false, roleArns: [roleArn]))
        let revocation = Revocation(
            id: "r-0123456789ab",
            selector: .certificateSerial(
                try #require(RevocationIdentifiers.normalizedSerial("0456")), trustAnchorArn: anchorArn),
            revokedAt: testNow,
            revokedBy: "ops", reason: "key lost")
        try writer.writeRevocations(RevocationList([revocation]))

        let configuration = try Self.load(directory)
        let main = try #require(configuration.trustAnchors[anchorArn])
        #expect(main.name == "main" && main.enabled)
        #expect(main.certificates.map(\.derBytes) == [Self.pki.ca.derBytes])
        #expect(main.revocationLists.map(\.revokedCount) == [1])
        let second = try #require(configuration.trustAnchors[secondAnchorArn])
        #expect(!second.enabled && second.certificates.map(\.derBytes) == [Self.pki.otherCA.derBytes])

        let web = try #require(configuration.profiles[profileArn])
        #expect(web.name == "web" && web.enabled && web.roleArns == [roleArn] && web.durationSeconds == 1800)
        #expect(web.acceptRoleSessionName && web.sessionPolicy == full.sessionPolicy)
        #expect(web.managedPolicyArns == ["arn:aws:iam::aws:policy/ReadOnlyAccess"])
        #expect(web.attributeMappings == (try AttributeMapping.parse(Self.mappings, path: "$")))
        let minimal = try #require(configuration.profiles[minimalProfileArn])
        #expect(!minimal.enabled && minimal.durationSeconds == 3600 && !minimal.acceptRoleSessionName)
        #expect(minimal.sessionPolicy == nil && minimal.managedPolicyArns.isEmpty && minimal.attributeMappings == nil)

        let role = try #require(configuration.roles[roleArn])
        #expect(role.maxSessionDuration == 7200)
        #expect(role.trustPolicy == (try PolicyDocument(json: policy)))
        #expect(configuration.revocations.entries == [revocation])
    }

    /// The fixture every server test starts from is the writer's, and loads.
    @Test func theConfigFixtureIsWrittenByTheWriterAndLoads() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.loader.load(generation: 1)
        #expect(configuration.trustAnchors.count == 2 && configuration.profiles.count == 2)
        #expect(
            try fixture.directory.read(ConfigFixture.webProfile)
                == String(decoding: ConfigurationWriter.profileFile(Self.webProfile).bytes, as: UTF8.self))
    }

    static let webProfile = ConfigFixture.web()

    // MARK: - The contract's shapes, byte for byte

    @Test func aProfileIsTheProfileDetailShapeWithEveryKey() {
        let file = ConfigurationWriter.profileFile(
            ProfileDocument(
                name: "web",
                arn: "arn:aws:rolesanywhere:us-east-1:123456789012:profile/8f0e2a3b-1c4d-4e5f-8a9b-0c1d2e3f4a5b",
                roleArns: ["arn:aws:iam::123456789012:role/web-reader"]))
        #expect(file.root == .profiles && file.path == "web.json")
        // CONTRACT §3.3's example, to the byte, with a final newline.
        #expect(
            String(decoding: file.bytes, as: UTF8.self) == """
                {
                  "profileArn": "arn:aws:rolesanywhere:us-east-1:123456789012:profile/8f0e2a3b-1c4d-4e5f-8a9b-0c1d2e3f4a5b",
                  "enabled": true,
                  "roleArns": ["arn:aws:iam::123456789012:role/web-reader"],
                  "durationSeconds": 3600,
                  "acceptRoleSessionName": false,
                  "sessionPolicy": null,
                  "managedPolicyArns": [],
                  "attributeMappings": null
                }

                """)
    }

    @Test func aTrustAnchorIsAnchorJSONCertificatesAndCRLs() {
        let files = ConfigurationWriter.trustAnchorFiles(
            arn: anchorArn, enabled: false, certificatesPEM: "PEM", crls: [("root", "CRL")])
        #expect(files.map(\.name) == ["anchor.json", "certificates.pem", "crls/root.pem"])
        #expect(
            String(decoding: files[0].bytes, as: UTF8.self)
                == "{\n  \"trustAnchorArn\": \"\(anchorArn)\",\n  \"enabled\": false\n}\n")
        #expect(files[1].bytes == Array("PEM".utf8) && files[2].bytes == Array("CRL".utf8))
        #expect(ConfigurationWriter.trustAnchorDirectory("main") == "trust-anchors/main")
    }

    @Test func aRoleIsNamedAfterItsARNAndKeepsIAMsKeyOrder() throws {
        let role = RoleDocument(
            arn: "arn:aws:iam::123456789012:role/team/web-reader", description: "d",
            trustPolicy: RoleDocument.policy([RoleDocument.rolesAnywhereStatement()]))
        let file = ConfigurationWriter.roleFile(role)
        #expect(file.root == .profiles && file.path == "roles/web-reader.json")
        let json = try JSONParser.parse(file.bytes)
        guard case .object(let members) = json else {
            Issue.record("not an object: \(json)")
            return
        }
        #expect(members.map(\.key) == ["Arn", "MaxSessionDuration", "Description", "AssumeRolePolicyDocument"])
        #expect(json["MaxSessionDuration"]?.intValue == 3600)
        let statement = json["AssumeRolePolicyDocument"]?["Statement"]
        guard case .array(let statements)? = statement, let first = statements.first else {
            Issue.record("no statement: \(String(describing: statement))")
            return
        }
        #expect(first["Principal"]?["Service"]?.stringValue == "rolesanywhere.amazonaws.com")
        #expect(first["Action"]?.stringArray == RoleDocument.trustActions)
        #expect(first["Condition"] == nil)
    }

    @Test func revocationsAreOneLineOfJSON() {
        let file = ConfigurationWriter.revocationsFile(RevocationList())
        #expect(file.root == .pki && file.path == "revocations.json")
        let text = String(decoding: file.bytes, as: UTF8.self)
        #expect(text.hasSuffix("\n") && text.dropLast().split(separator: "\n").count == 1)
    }

    // MARK: - Atomic writes

    @Test func aTrustAnchorThatExistsIsRefusedAndLeftAsItWas() throws {
        let directory = TemporaryDirectory()
        let writer = Self.writer(directory)
        try writer.addTrustAnchor(name: "main", arn: anchorArn, certificatesPEM: Self.pki.ca.pemString)
        let before = try directory.read("PKI/trust-anchors/main/anchor.json")
        #expect(throws: ConfigurationWriteError.self) {
            try writer.addTrustAnchor(name: "main", arn: secondAnchorArn, certificatesPEM: Self.pki.otherCA.pemString)
        }
        #expect(try directory.read("PKI/trust-anchors/main/anchor.json") == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url("PKI/trust-anchors")) == ["main"])
    }

    /// A rewrite replaces the file whole and leaves no hidden temporary behind; a file reached through a
    /// symlink is written at the link's target, so the link stays.
    @Test func aRewriteReplacesTheFileThroughItsSymlinkAndLeavesNoTemporary() throws {
        let directory = TemporaryDirectory()
        let writer = Self.writer(directory)
        try writer.writeProfile(Self.webProfile)
        try directory.write("elsewhere/web.json", "")
        try directory.remove("Profiles/web.json")
        guard symlink(directory.url("elsewhere/web.json"), directory.url("Profiles/web.json")) == 0 else {
            Issue.record("symlink failed")
            return
        }
        var disabled = Self.webProfile
        disabled.enabled = false
        try writer.writeProfile(disabled)
        #expect(
            try FileManager.default.destinationOfSymbolicLink(atPath: directory.url("Profiles/web.json"))
                == directory.url("elsewhere/web.json"))
        #expect(
            try directory.read("elsewhere/web.json")
                == String(decoding: ConfigurationWriter.profileFile(disabled).bytes, as: UTF8.self))
        for folder in ["Profiles", "elsewhere"] {
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url(folder)) == ["web.json"])
        }
    }

    @Test func aMissingParentIsNamedNotTheTemporaryFile() {
        let writer = ConfigurationWriter(pkiDirectory: "/dev/null/PKI", profilesDirectory: "/dev/null/Profiles")
        do {
            try writer.writeProfile(Self.webProfile)
            Issue.record("wrote under /dev/null")
        } catch {
            #expect(error.message.contains("/dev/null") && !error.message.contains(".tmp-"))
        }
    }
}
