import AnchorageConfig
import AnchorageConfigFixtures
import AnchorageCore
import AnchorageCrypto
import Foundation
import Testing

@Suite struct ConfigurationLoaderTests {
    // MARK: - A valid configuration

    @Test func validConfigurationLoadsEveryResourceWithItsDefaults() throws {
        let fixture = try ConfigFixture()
        let configuration = try fixture.loader.load(generation: 7)

        #expect(configuration.generation == 7)
        #expect(Set(configuration.trustAnchors.keys) == [anchorArn, secondAnchorArn])
        #expect(Set(configuration.profiles.keys) == [profileArn, minimalProfileArn])
        #expect(Set(configuration.roles.keys) == [roleArn])

        let main = try #require(configuration.trustAnchors[anchorArn])
        #expect(main.name == "main")
        #expect(main.enabled)
        #expect(main.certificates.map(\.derBytes) == [fixture.pki.ca.derBytes])
        #expect(main.revocationLists.isEmpty)
        #expect(configuration.trustAnchors[secondAnchorArn]?.enabled == false)

        let web = try #require(configuration.profiles[profileArn])
        #expect(web.name == "web")
        #expect(web.enabled)
        #expect(web.roleArns == [roleArn])
        #expect(web.durationSeconds == 1800)
        #expect(web.acceptRoleSessionName)
        #expect(web.sessionPolicy == nil)
        #expect(web.managedPolicyArns.isEmpty)
        #expect(web.attributeMappings == nil)

        // Omitted optional keys take the AWS defaults.
        let minimal = try #require(configuration.profiles[minimalProfileArn])
        #expect(minimal.name == "minimal")
        #expect(!minimal.enabled)
        #expect(minimal.durationSeconds == 3600)
        #expect(!minimal.acceptRoleSessionName)
        #expect(minimal.attributeMappings == nil)
        #expect(minimal.managedPolicyArns.isEmpty)

        let role = try #require(configuration.roles[roleArn])
        #expect(role.name == "web-reader")
        #expect(role.maxSessionDuration == 3600)
        #expect(role.trustPolicy.statements.count == 1)
    }

    @Test func roleWithoutMaxSessionDurationDefaultsTo3600() throws {
        let fixture = try ConfigFixture()
        try fixture.write(
            ConfigFixture.role,
            #"{"Arn": "\#(roleArn)", "AssumeRolePolicyDocument": \#(ConfigFixture.policyJSON())}"#)
        #expect(try fixture.loader.load(generation: 1).roles[roleArn]?.maxSessionDuration == 3600)
    }

    /// IAM's API returns the trust policy URL-encoded inside a string; the loader accepts that and plain JSON text.
    @Test(arguments: [true, false])
    func assumeRolePolicyDocumentAsAJSONStringIsAccepted(urlEncoded: Bool) throws {
        let fixture = try ConfigFixture()
        let text = ConfigFixture.policyJSON()
        let embedded =
            urlEncoded
            ? text.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! : text
        try fixture.write(ConfigFixture.role, ConfigFixture.roleJSON(policy: JSONWriter.quoted(embedded)))
        let role = try #require(try fixture.loader.load(generation: 1).roles[roleArn])
        #expect(role.trustPolicy.statements.count == 1)
        #expect(role.trustPolicy.statements.first?.effect == .allow)
    }

    /// Only an encoded string is percent-decoded: plain JSON text keeps a literal `%2F` in a condition value.
    @Test func plainJSONTextPolicyIsNotPercentDecoded() throws {
        let fixture = try ConfigFixture()
        let policy = ConfigFixture.policyJSON(ou: "web%2Fteam")
        try fixture.write(ConfigFixture.role, ConfigFixture.roleJSON(policy: policy))
        let asObject = try #require(try fixture.loader.load(generation: 1).roles[roleArn]?.trustPolicy)
        try fixture.write(ConfigFixture.role, ConfigFixture.roleJSON(policy: JSONWriter.quoted(policy)))
        let asText = try #require(try fixture.loader.load(generation: 1).roles[roleArn]?.trustPolicy)
        #expect(asObject.statements.first?.conditions.contains { $0.values == ["web%2Fteam"] } == true)
        #expect(asText == asObject)
    }

    @Test func crlSignedByTheAnchorIsLoaded() throws {
        let fixture = try ConfigFixture()
        let crl = try DER.crl(
            issuer: fixture.pki.ca, signingKey: fixture.pki.caKey,
            revokedSerials: [fixture.pki.dbLeaf.serialNumberBytes])
        try fixture.write("PKI/trust-anchors/main/crls/ca.pem", DER.pem(crl, label: "X509 CRL"))
        try fixture.write("PKI/trust-anchors/main/crls/ca-der.crl", crl)
        let anchor = try #require(try fixture.loader.load(generation: 1).trustAnchors[anchorArn])
        #expect(anchor.revocationLists.count == 2)
        #expect(anchor.revocationLists.allSatisfy { $0.lists(fixture.pki.dbLeaf) && !$0.lists(fixture.pki.webLeaf) })
    }

    // MARK: - One table row per load error

    struct BrokenCase: Sendable, CustomTestStringConvertible {
        var name: String
        /// Breaks a valid fixture.
        var breakIt: @Sendable (ConfigFixture) throws -> Void
        /// Relative to the fixture root.
        var file: String
        var path: String
        var message: String
        var testDescription: String { name }
    }

    static let brokenCases: [BrokenCase] = [
        BrokenCase(
            name: "unknown key in anchor.json",
            breakIt: { try $0.write(ConfigFixture.mainAnchor, ConfigFixture.anchorJSON(extra: #", "enable": true"#)) },
            file: ConfigFixture.mainAnchor, path: "$.enable", message: "unknown key"),
        BrokenCase(
            name: "unknown key in a profile",
            breakIt: { try $0.write(ConfigFixture.webProfile, ConfigFixture.profileJSON(extra: #", "roleArn": "x""#)) },
            file: ConfigFixture.webProfile, path: "$.roleArn", message: "unknown key"),
        BrokenCase(
            name: "unknown key in a role",
            breakIt: {
                try $0.write(ConfigFixture.role, ConfigFixture.roleJSON(extra: #", "MaxSessionDurationSeconds": 1"#))
            },
            file: ConfigFixture.role, path: "$.MaxSessionDurationSeconds", message: "unknown key"),
        BrokenCase(
            name: "missing enabled",
            breakIt: { try $0.write(ConfigFixture.mainAnchor, #"{"trustAnchorArn": "\#(anchorArn)"}"#) },
            file: ConfigFixture.mainAnchor, path: "$.enabled", message: "required"),
        BrokenCase(
            name: "enabled as a string",
            breakIt: { try $0.write(ConfigFixture.mainAnchor, ConfigFixture.anchorJSON(enabled: #""true""#)) },
            file: ConfigFixture.mainAnchor, path: "$.enabled", message: "must be a boolean"),
        BrokenCase(
            name: "trustAnchorArn of another service",
            breakIt: {
                try $0.write(
                    ConfigFixture.mainAnchor,
                    ConfigFixture.anchorJSON(
                        arn: "arn:aws:iam::123456789012:trust-anchor/4a1c52e0-7d6b-4b7e-9a55-0e6f4c3b9d21"))
            },
            file: ConfigFixture.mainAnchor, path: "$.trustAnchorArn", message: "not a rolesanywhere trust-anchor ARN"),
        BrokenCase(
            name: "trustAnchorArn of another resource type",
            breakIt: { try $0.write(ConfigFixture.mainAnchor, ConfigFixture.anchorJSON(arn: profileArn)) },
            file: ConfigFixture.mainAnchor, path: "$.trustAnchorArn", message: "not a rolesanywhere trust-anchor ARN"),
        BrokenCase(
            name: "trustAnchorArn that is not an ARN",
            breakIt: { try $0.write(ConfigFixture.mainAnchor, ConfigFixture.anchorJSON(arn: "trust-anchor/4a1c52e0")) },
            file: ConfigFixture.mainAnchor, path: "$.trustAnchorArn", message: "not a rolesanywhere trust-anchor ARN"),
        BrokenCase(
            name: "trustAnchorArn without a trust-anchor id",
            breakIt: {
                try $0.write(
                    ConfigFixture.mainAnchor,
                    ConfigFixture.anchorJSON(arn: "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor"))
            },
            file: ConfigFixture.mainAnchor, path: "$.trustAnchorArn", message: "not a rolesanywhere trust-anchor ARN"),
        BrokenCase(
            name: "trustAnchorArn with an empty trust-anchor id",
            breakIt: {
                try $0.write(
                    ConfigFixture.mainAnchor,
                    ConfigFixture.anchorJSON(arn: "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/"))
            },
            file: ConfigFixture.mainAnchor, path: "$.trustAnchorArn", message: "not a rolesanywhere trust-anchor ARN"),
        BrokenCase(
            name: "profileArn without a profile id",
            breakIt: {
                try $0.write(
                    ConfigFixture.webProfile,
                    ConfigFixture.profileJSON(arn: "arn:aws:rolesanywhere:us-east-1:123456789012:profile"))
            },
            file: ConfigFixture.webProfile, path: "$.profileArn", message: "not a rolesanywhere profile ARN"),
        BrokenCase(
            name: "duplicate trust-anchor ARN in two directories",
            breakIt: {
                try $0.write("PKI/trust-anchors/main-copy/anchor.json", ConfigFixture.anchorJSON())
                try $0.write("PKI/trust-anchors/main-copy/certificates.pem", $0.pki.ca.pemString)
            },
            file: "PKI/trust-anchors/main-copy/anchor.json", path: "$.trustAnchorArn",
            message: "duplicate ARN, also in"),
        BrokenCase(
            name: "duplicate profile ARN",
            breakIt: { try $0.write("Profiles/web2.json", ConfigFixture.profileJSON()) },
            file: "Profiles/web2.json", path: "$.profileArn", message: "duplicate ARN, also in"),
        BrokenCase(
            name: "profile lists an undefined role",
            breakIt: {
                try $0.write(
                    ConfigFixture.webProfile,
                    ConfigFixture.profileJSON(roleArns: #"["arn:aws:iam::123456789012:role/missing"]"#))
            },
            file: ConfigFixture.webProfile, path: "$.roleArns[0]",
            message: "role arn:aws:iam::123456789012:role/missing is not defined"),
        BrokenCase(
            name: "duplicate role ARN in roleArns",
            breakIt: {
                try $0.write(
                    ConfigFixture.webProfile, ConfigFixture.profileJSON(roleArns: #"["\#(roleArn)", "\#(roleArn)"]"#))
            },
            file: ConfigFixture.webProfile, path: "$.roleArns[1]", message: "duplicate role ARN"),
        BrokenCase(
            name: "NotPrincipal in the trust policy",
            breakIt: {
                try $0.write(
                    ConfigFixture.role,
                    ConfigFixture.roleJSON(
                        policy: ConfigFixture.policyJSON().replacingOccurrences(
                            of: #""Principal""#, with: #""NotPrincipal""#)))
            },
            file: ConfigFixture.role, path: "$.AssumeRolePolicyDocument.Statement[0].NotPrincipal",
            message: "NotPrincipal is not allowed in a role trust policy"),
        BrokenCase(
            name: "durationSeconds 899",
            breakIt: { try $0.write(ConfigFixture.webProfile, ConfigFixture.profileJSON(durationSeconds: "899")) },
            file: ConfigFixture.webProfile, path: "$.durationSeconds", message: "must be 900-43200"),
        BrokenCase(
            name: "role file name does not match the role name",
            breakIt: {
                try $0.write(
                    "Profiles/roles/reader.json",
                    ConfigFixture.roleJSON(arn: "arn:aws:iam::123456789012:role/other-reader"))
            },
            file: "Profiles/roles/reader.json", path: "$.Arn", message: "must live in other-reader.json"),
        BrokenCase(
            name: "MaxSessionDuration 100",
            breakIt: { try $0.write(ConfigFixture.role, ConfigFixture.roleJSON(maxSessionDuration: "100")) },
            file: ConfigFixture.role, path: "$.MaxSessionDuration", message: "must be 3600-43200"),
        BrokenCase(
            name: "trust policy with a bad Effect",
            breakIt: {
                try $0.write(
                    ConfigFixture.role, ConfigFixture.roleJSON(policy: ConfigFixture.policyJSON(effect: "Permit")))
            },
            file: ConfigFixture.role, path: "$.AssumeRolePolicyDocument.Statement[0].Effect",
            message: #"must be "Allow" or "Deny", found "Permit""#),
        BrokenCase(
            name: "invalid JSON names the line and column",
            // The member name expected on line 3, column 1 (byte 21) is a `}`.
            breakIt: { try $0.write(ConfigFixture.mainAnchor, "{\n  \"enabled\": true,\n}\n") },
            file: ConfigFixture.mainAnchor, path: "$",
            message: "invalid JSON: expected a member name at line 3, column 1 (byte 21)"),
        BrokenCase(
            name: "duplicate JSON key",
            breakIt: {
                try $0.write(
                    ConfigFixture.mainAnchor, #"{"trustAnchorArn": "\#(anchorArn)", "enabled": true, "enabled": false}"#
                )
            },
            file: ConfigFixture.mainAnchor, path: "$",
            message: #"duplicate key "enabled" at line 1, column 135 (byte 134)"#),
        BrokenCase(
            name: "garbage inside a PEM certificate block",
            breakIt: {
                try $0.write(
                    ConfigFixture.mainCertificates,
                    "-----BEGIN CERTIFICATE-----\nnot*base64\n-----END CERTIFICATE-----\n")
            },
            file: ConfigFixture.mainCertificates, path: "$", message: "unreadable PEM"),
        BrokenCase(
            name: "DER bytes that are not a certificate inside a PEM block",
            breakIt: {
                try $0.write(
                    ConfigFixture.mainCertificates, DER.pem([0x30, 0x03, 0x02, 0x01, 0x01], label: "CERTIFICATE"))
            },
            file: ConfigFixture.mainCertificates, path: "$", message: "unreadable PEM"),
        BrokenCase(
            name: "certificates.pem holding no PEM at all",
            breakIt: { try $0.write(ConfigFixture.mainCertificates, "this is not a certificate\n") },
            file: ConfigFixture.mainCertificates, path: "$", message: "holds no certificate"),
        BrokenCase(
            name: "empty certificates.pem",
            breakIt: { try $0.write(ConfigFixture.mainCertificates, "") },
            file: ConfigFixture.mainCertificates, path: "$", message: "holds no certificate"),
        BrokenCase(
            name: "missing certificates.pem",
            breakIt: { try $0.directory.remove(ConfigFixture.mainCertificates) },
            file: ConfigFixture.mainCertificates, path: "$", message: "missing or unreadable"),
        BrokenCase(
            name: "certificates.pem holding a non-CA certificate",
            breakIt: {
                try $0.write(ConfigFixture.mainCertificates, $0.pki.ca.pemString + $0.pki.webLeaf.pemString)
            },
            file: ConfigFixture.mainCertificates, path: "certificate[1]", message: "is not a CA certificate"),
        BrokenCase(
            name: "CRL file that is not a CRL",
            breakIt: { try $0.write("PKI/trust-anchors/main/crls/revoked.crl", "not a CRL") },
            file: "PKI/trust-anchors/main/crls/revoked.crl", path: "$", message: "unreadable CRL"),
        BrokenCase(
            name: "PEM CRL file holding a certificate",
            breakIt: { try $0.write("PKI/trust-anchors/main/crls/revoked.pem", $0.pki.ca.pemString) },
            file: "PKI/trust-anchors/main/crls/revoked.pem", path: "$", message: "unreadable CRL"),
        BrokenCase(
            name: "CRL naming the anchor as issuer but signed by another key",
            breakIt: {
                let forged = try DER.crl(issuer: $0.pki.ca, signingKey: $0.pki.otherCAKey)
                try $0.write("PKI/trust-anchors/main/crls/forged.pem", DER.pem(forged, label: "X509 CRL"))
            },
            file: "PKI/trust-anchors/main/crls/forged.pem", path: "crl[0]",
            message: "signature does not verify with the anchor certificate"),
        BrokenCase(
            name: "missing PKI directory",
            breakIt: { try $0.directory.remove("PKI") },
            file: "PKI", path: "$", message: "directory does not exist"),
        BrokenCase(
            name: "missing Profiles directory",
            breakIt: { try $0.directory.remove("Profiles") },
            file: "Profiles", path: "$", message: "directory does not exist"),
    ]

    @Test(arguments: brokenCases)
    func brokenConfigurationIsALoadErrorNamingFileAndPath(_ row: BrokenCase) throws {
        let fixture = try ConfigFixture()
        try row.breakIt(fixture)
        let issues = fixture.loadIssues()
        let expectedFile = fixture.url(row.file)
        let match = issues.first { $0.file == expectedFile && $0.path == row.path && $0.message.contains(row.message) }
        #expect(
            match != nil,
            "wanted \(expectedFile): \(row.path): …\(row.message)…, got:\n\(issues.map(\.description).joined(separator: "\n"))"
        )
        // Every issue names a file inside the configuration.
        for issue in issues { #expect(issue.file.hasPrefix(fixture.root + "/")) }
    }

    @Test func duplicateAnchorIssueNamesTheFirstFile() throws {
        let fixture = try ConfigFixture()
        try fixture.write("PKI/trust-anchors/main-copy/anchor.json", ConfigFixture.anchorJSON())
        try fixture.write("PKI/trust-anchors/main-copy/certificates.pem", fixture.pki.ca.pemString)
        let issues = fixture.loadIssues()
        #expect(
            issues == [
                ConfigurationIssue(
                    file: fixture.url("PKI/trust-anchors/main-copy/anchor.json"), path: "$.trustAnchorArn",
                    message: "duplicate ARN, also in \(fixture.url(ConfigFixture.mainAnchor))")
            ])
    }

    // MARK: - Several errors at once

    @Test func everyIssueIsReportedNotJustTheFirst() throws {
        let fixture = try ConfigFixture()
        try fixture.write(ConfigFixture.mainAnchor, ConfigFixture.anchorJSON(extra: #", "color": "blue""#))
        try fixture.write(ConfigFixture.secondCertificates, "")
        try fixture.write(ConfigFixture.webProfile, ConfigFixture.profileJSON(durationSeconds: "899"))
        try fixture.write("Profiles/junk.json", "{")
        let issues = fixture.loadIssues()
        let found = Set(issues.map { "\($0.file.dropFirst(fixture.root.count + 1))|\($0.path)" })
        #expect(
            found == [
                "\(ConfigFixture.mainAnchor)|$.color",
                "\(ConfigFixture.secondCertificates)|$",
                "\(ConfigFixture.webProfile)|$.durationSeconds",
                "Profiles/junk.json|$",
            ], "\(issues)")
        #expect(issues.count == 4)
    }

    @Test func oneFileWithSeveralProblemsReportsEachPath() throws {
        let fixture = try ConfigFixture()
        try fixture.write(
            ConfigFixture.webProfile,
            #"{"profileArn": "arn:aws:iam::123456789012:role/x", "enabled": "yes", "roleArns": ["not-an-arn"], "durationSeconds": 50000, "extra": 1}"#
        )
        let paths = Set(fixture.loadIssues().filter { $0.file == fixture.url(ConfigFixture.webProfile) }.map(\.path))
        #expect(paths == ["$.profileArn", "$.enabled", "$.roleArns[0]", "$.durationSeconds", "$.extra"])
    }

    @Test func issueDescriptionIsFilePathMessage() {
        let issue = ConfigurationIssue(file: "/x/anchor.json", path: "$.enabled", message: "required")
        #expect(issue.description == "/x/anchor.json: $.enabled: required")
        let error = ConfigurationError(issues: [issue, ConfigurationIssue(file: "/y", message: "m")])
        #expect(error.description == "/x/anchor.json: $.enabled: required\n/y: $: m")
    }
}
