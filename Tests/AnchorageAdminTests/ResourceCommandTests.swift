import AnchorageConfig
import AnchorageCore
import Foundation
import Testing

@testable import AnchorageAdmin

@Suite("Admin commands on a temporary configuration")
struct ResourceCommandTests {
    @Test("a configuration built with the commands loads with the server's loader")
    func buildsLoadableConfiguration() throws {
        let admin = try AdminHarness()
        let anchorARN = try admin.makeLabAnchor()
        #expect(anchorARN.hasPrefix("arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/"))
        let role = admin.run(
            "role",
            [
                "create", "web-reader", "--trust-anchor", "lab",
                "--condition", "StringEquals:aws:PrincipalTag/x509Subject/OU=web",
            ])
        #expect(role.status == 0, "\(role.stderr)")
        #expect(role.stdout == "arn:aws:iam::123456789012:role/web-reader\n")
        let profile = admin.run(
            "profile",
            [
                "create", "web", "--role", "web-reader", "--region", "eu-west-1", "--account-id", "210987654321",
                "--duration-seconds", "1800",
            ])
        #expect(profile.status == 0, "\(profile.stderr)")
        #expect(profile.stdout.hasPrefix("arn:aws:rolesanywhere:eu-west-1:210987654321:profile/"))

        let configuration = try ConfigurationLoader(pkiDirectory: admin.pki, profilesDirectory: admin.profiles)
            .load(generation: 1)
        let anchor = try #require(configuration.trustAnchors[anchorARN])
        #expect(anchor.enabled && anchor.name == "lab")
        let loadedProfile = try #require(configuration.profiles.values.first)
        #expect(loadedProfile.roleArns == ["arn:aws:iam::123456789012:role/web-reader"])
        #expect(loadedProfile.durationSeconds == 1800)
        let loadedRole = try #require(configuration.roles["arn:aws:iam::123456789012:role/web-reader"])
        #expect(loadedRole.trustPolicy.statements.count == 1)
        // The role file is the contract's shape, the condition split as documented.
        let roleJSON = try JSONParser.parse(
            [UInt8](try #require(FileManager.default.contents(atPath: admin.profiles + "/roles/web-reader.json"))))
        let condition = roleJSON["AssumeRolePolicyDocument"]?["Statement"].flatMap { statement -> JSONValue? in
            if case .array(let items) = statement { return items.first?["Condition"] }
            return nil
        }
        #expect(condition?["StringEquals"]?["aws:PrincipalTag/x509Subject/OU"] == .string("web"))
        #expect(condition?["ArnEquals"]?["aws:SourceArn"] == .string(anchorARN))
    }

    @Test("private keys are written 0600, never inside --pki, never over an existing file")
    func privateKeys() throws {
        let admin = try AdminHarness()
        _ = try admin.makeLabAnchor()
        var info = stat()
        #expect(stat(admin.keys + "/ca.key", &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(stat(admin.keys + "/ca.pem", &info) == 0 && info.st_mode & 0o777 == 0o644)

        let before = admin.treeDigest()
        let inside = admin.run(
            "pki",
            [
                "issue", "--ca-certificate", admin.keys + "/ca.pem", "--ca-private-key", admin.keys + "/ca.key",
                "--subject", "/CN=w", "--certificate", admin.keys + "/w.pem",
                "--private-key", admin.pki + "/trust-anchors/../w.key",
            ])
        #expect(inside.status == 1)
        #expect(inside.stderr.contains("inside the PKI directory"))
        #expect(!FileManager.default.fileExists(atPath: admin.keys + "/w.pem"))
        #expect(admin.treeDigest() == before)

        let again = admin.run(
            "pki",
            [
                "init-ca", "--subject", "/CN=again", "--certificate", admin.keys + "/other.pem",
                "--private-key", admin.keys + "/ca.key",
            ])
        #expect(again.status == 1 && again.stderr.contains("already exists"))

        for keyType in ["ec-p384", "rsa-2048"] {
            let leaf = admin.run(
                "pki",
                [
                    "issue", "--ca-certificate", admin.keys + "/ca.pem", "--ca-private-key", admin.keys + "/ca.key",
                    "--subject", "/O=Lab/OU=web/CN=\(keyType)", "--dns", "\(keyType).lab", "--uri", "spiffe://lab/w",
                    "--key-type", keyType, "--days", "30",
                    "--certificate", admin.keys + "/\(keyType).pem", "--private-key", admin.keys + "/\(keyType).key",
                ])
            #expect(leaf.status == 0, "\(leaf.stderr)")
            #expect(leaf.stdout.contains("CN=\(keyType),OU=web,O=Lab"))
            #expect(stat(admin.keys + "/\(keyType).key", &info) == 0 && info.st_mode & 0o777 == 0o600)
        }
        let wrongKey = admin.run(
            "pki",
            [
                "issue", "--ca-certificate", admin.keys + "/ca.pem", "--ca-private-key", admin.keys + "/rsa-2048.key",
                "--subject", "/CN=w", "--certificate", admin.keys + "/w.pem", "--private-key", admin.keys + "/w.key",
            ])
        #expect(wrongKey.status == 1 && wrongKey.stderr.contains("is not the private key"), "\(wrongKey.stderr)")
    }

    @Test("invalid changes are refused with the loader's message and nothing changes on disk")
    func refusals() throws {
        let admin = try AdminHarness()
        _ = try admin.makeLabAnchor()
        #expect(admin.run("role", ["create", "web-reader", "--trust-anchor", "lab"]).status == 0)
        #expect(admin.run("profile", ["create", "web", "--role", "web-reader"]).status == 0)
        _ = admin.run(
            "pki",
            [
                "issue", "--ca-certificate", admin.keys + "/ca.pem", "--ca-private-key", admin.keys + "/ca.key",
                "--subject", "/CN=leaf", "--certificate", admin.keys + "/leaf.pem", "--private-key",
                admin.keys + "/leaf.key",
            ])
        try Data(
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"rolesanywhere.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEqualz":{"a":"b"}}}]}"#
                .utf8
        )
        .write(to: URL(fileURLWithPath: admin.keys + "/bad-policy.json"))
        let anchorARN = admin.run("trust-anchor", ["show", "lab", "--json"]).stdout
        let existingARN = try #require(try JSONParser.parse(anchorARN)["trustAnchorArn"]?.stringValue)

        let cases: [(String, [String], Int32, String)] = [
            (
                "trust-anchor", ["add", "leafy", "--certificates", admin.keys + "/leaf.pem"], 1,
                "is not a CA certificate"
            ),
            (
                "trust-anchor", ["add", "twin", "--certificates", admin.keys + "/ca.pem", "--arn", existingARN], 1,
                "duplicate ARN"
            ),
            ("trust-anchor", ["add", "lab", "--certificates", admin.keys + "/ca.pem"], 1, "already exists"),
            ("trust-anchor", ["add", "../escape", "--certificates", admin.keys + "/ca.pem"], 64, "must be"),
            ("trust-anchor", ["add", "x", "--certificates", admin.keys + "/leaf.key"], 1, "holds no PEM certificate"),
            (
                "trust-anchor", ["add", "x", "--certificates", admin.keys + "/ca.pem", "--region", "mars"], 64,
                "--region"
            ),
            ("trust-anchor", ["enable", "nope"], 1, "no trust anchor named nope"),
            ("profile", ["create", "p", "--role", "arn:aws:iam::123456789012:role/ghost"], 1, "is not defined"),
            ("profile", ["create", "web", "--role", "web-reader"], 1, "already exists"),
            ("profile", ["create", "p", "--duration-seconds", "60"], 64, "--duration-seconds"),
            ("profile", ["add-role", "web", "arn:aws:iam::123456789012:role/ghost"], 1, "is not defined"),
            ("profile", ["remove-role", "web", "ghost"], 1, "does not list"),
            ("role", ["create", "r", "--policy-file", admin.keys + "/bad-policy.json"], 1, "StringEqualz"),
            ("role", ["create", "r", "--condition", "StringEquals=aws:x"], 64, "OPERATOR:KEY=VALUE"),
            ("role", ["create", "r", "--account-id", "12"], 64, "--account-id"),
            ("role", ["create", "web-reader"], 1, "already exists"),
            ("role", ["remove", "web-reader"], 1, "is not defined"),
            ("crl", ["import", "lab", admin.keys + "/ca.pem"], 1, "is not a CRL"),
            ("crl", ["remove", "lab", "none"], 1, "has no CRL"),
            ("role", ["create"], 64, "missing NAME"),
        ]
        for (command, arguments, status, message) in cases {
            let before = admin.treeDigest()
            let result = admin.run(command, arguments)
            #expect(result.status == status, "\(command) \(arguments): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(command) \(arguments): \(result.stderr)")
            #expect(result.stdout.isEmpty, "\(command) \(arguments) printed \(result.stdout)")
            #expect(admin.treeDigest() == before, "\(command) \(arguments) changed the configuration")
        }
        // Refusals name the real file, never the staging copy.
        let refused = admin.run("profile", ["create", "p", "--role", "arn:aws:iam::123456789012:role/ghost"])
        #expect(refused.stderr.contains(admin.profiles + "/p.json"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("anchorage-admin-"), "\(refused.stderr)")
    }

    @Test("enable, disable, add-role, remove-role, remove")
    func lifecycle() throws {
        let admin = try AdminHarness()
        _ = try admin.makeLabAnchor()
        #expect(
            admin.run("role", ["create", "a", "--condition", "StringEquals:aws:PrincipalTag/x509Subject/OU=a"]).status
                == 0)
        #expect(
            admin.run("role", ["create", "b", "--path", "/team/"]).stdout == "arn:aws:iam::123456789012:role/team/b\n")
        #expect(admin.run("profile", ["create", "p", "--role", "a", "--disabled"]).status == 0)
        func profile() throws -> Profile {
            try #require(
                try ConfigurationLoader(pkiDirectory: admin.pki, profilesDirectory: admin.profiles).load(generation: 1)
                    .profiles.values.first)
        }
        #expect(try profile().enabled == false)
        #expect(admin.run("profile", ["enable", "p"]).status == 0)
        #expect(try profile().enabled == true)
        #expect(
            admin.run("profile", ["add-role", "p", "b"]).stdout
                == "arn:aws:iam::123456789012:role/a\narn:aws:iam::123456789012:role/team/b\n")
        #expect(try profile().roleArns.count == 2)
        #expect(admin.run("profile", ["remove-role", "p", "a"]).status == 0)
        #expect(try profile().roleArns == ["arn:aws:iam::123456789012:role/team/b"])
        #expect(admin.run("role", ["remove", "a"]).status == 0)
        #expect(admin.run("role", ["remove", "b"]).status == 1)
        #expect(admin.run("profile", ["remove", "p"]).status == 0)
        #expect(admin.run("role", ["remove", "b"]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: admin.profiles + "/roles/a.json"))

        #expect(admin.run("trust-anchor", ["disable", "lab"]).status == 0)
        let anchors = try JSONParser.parse(admin.run("trust-anchor", ["list", "--json"]).stdout)
        guard case .array(let items) = anchors else { Issue.record("not an array: \(anchors)"); return }
        #expect(items.count == 1 && items[0]["enabled"] == .bool(false) && items[0]["name"] == .string("lab"))
        #expect(admin.run("trust-anchor", ["remove", "lab"]).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: admin.pki + "/trust-anchors").isEmpty)
    }

    @Test("list and show print JSON with --json and tables without")
    func listAndShow() throws {
        let admin = try AdminHarness()
        let anchorARN = try admin.makeLabAnchor()
        #expect(admin.run("role", ["create", "r", "--trust-anchor", anchorARN]).status == 0)
        #expect(admin.run("profile", ["create", "p", "--role", "r"]).status == 0)
        for (command, name) in [("trust-anchor", "lab"), ("profile", "p"), ("role", "r")] {
            let list = admin.run(command, ["list", "--json"])
            #expect(list.status == 0)
            guard case .array(let items) = try JSONParser.parse(list.stdout) else {
                Issue.record("\(command) list --json: \(list.stdout)")
                continue
            }
            #expect(items.count == 1 && items[0]["name"] == .string(name))
            let show = try JSONParser.parse(admin.run(command, ["show", name, "--json"]).stdout)
            #expect(show == items[0])
            let text = admin.run(command, ["list"]).stdout
            #expect(text.hasPrefix("NAME") && text.contains(name))
            #expect(admin.run(command, ["show", name]).stdout.contains(name))
        }
        // show by ARN too.
        #expect(admin.run("trust-anchor", ["show", anchorARN]).status == 0)
        #expect(
            admin.run("role", ["show", "arn:aws:iam::123456789012:role/r", "--json"]).stdout.contains(
                "\"profiles\": [\"p\"]"))
    }

    @Test("every command and subcommand answers --help on stdout with exit 0")
    func help() throws {
        let admin = try AdminHarness()
        for group in AdminCommand.groups {
            let top = admin.run(group.name, ["--help"])
            #expect(top.status == 0 && top.stdout.contains("usage: anchorage \(group.name)"))
            for subcommand in group.subcommands {
                let result = admin.run(group.name, [subcommand.name, "--help"])
                #expect(result.status == 0)
                #expect(result.stdout.contains("usage: anchorage \(group.name) \(subcommand.name)"), "\(result.stdout)")
                #expect(result.stdout.contains("--pki DIR") && result.stdout.contains("--profiles DIR"))
            }
        }
        #expect(admin.run("role", ["bogus"]).status == 64)
        #expect(admin.run("role", []).status == 64)
    }

    @Test("a first command on missing directories creates both; a refusal creates neither")
    func freshDirectories() throws {
        let admin = try AdminHarness()
        let refused = admin.run("profile", ["create", "p", "--role", "arn:aws:iam::123456789012:role/ghost"])
        #expect(refused.status == 1)
        #expect(!FileManager.default.fileExists(atPath: admin.pki))
        #expect(!FileManager.default.fileExists(atPath: admin.profiles))
        #expect(admin.run("role", ["create", "r"]).status == 0)
        #expect(FileManager.default.fileExists(atPath: admin.pki))
        _ = try ConfigurationLoader(pkiDirectory: admin.pki, profilesDirectory: admin.profiles).load(generation: 1)
    }
}
