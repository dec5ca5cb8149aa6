import AnchorageTestSupport
import Foundation
import Testing

/// A configuration directory for the admin commands of the real binary: `PKI/`, `Profiles/` and, beside
/// them (outside the configuration), `keys/` for what `anchorage pki` writes and `openssl/` for the CRL.
struct AdminWorkspace {
    let configuration: TestConfiguration
    var root: URL { configuration.root }
    var keys: URL { root.appendingPathComponent("keys") }
    func key(_ name: String) -> String { keys.appendingPathComponent(name).path }

    init() throws {
        let root = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("anchorage-e2e-admin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("keys"), withIntermediateDirectories: true)
        configuration = TestConfiguration(root: root)
    }

    /// `anchorage <arguments…> --pki … --profiles …`.
    func anchorage(_ arguments: [String]) async throws -> ProcessResult {
        try await runProcess(
            try AnchorageBinary.url().path,
            arguments + ["--pki", configuration.pki.path, "--profiles", configuration.profiles.path])
    }

    /// Like ``anchorage(_:)``, requiring exit 0; returns stdout without the final newline.
    @discardableResult
    func succeed(_ arguments: [String]) async throws -> String {
        let result = try await anchorage(arguments)
        guard result.status == 0 else { throw TestFailure("expected success: \(result.summary)") }
        return result.stdout.trimmingCharacters(in: .newlines)
    }

    /// Every path, type, mode and byte under PKI/ and Profiles/, hashed (FNV-1a 64), with the listing.
    func treeDigest() -> (hash: String, listing: String) {
        var entries: [String] = []
        for base in [configuration.pki, configuration.profiles] {
            guard let enumerator = FileManager.default.enumerator(atPath: base.path) else {
                entries.append("\(base.path) absent")
                continue
            }
            while let relative = enumerator.nextObject() as? String {
                let path = base.path + "/" + relative
                var info = stat()
                lstat(path, &info)
                let content = FileManager.default.contents(atPath: path) ?? Data()
                entries.append("\(path) mode=\(String(info.st_mode, radix: 8)) \(FixturePKI.fnv1a64Hex(content))")
            }
        }
        let listing = entries.sorted().joined(separator: "\n")
        return (FixturePKI.fnv1a64Hex(Data(listing.utf8)), listing)
    }

    /// A CRL made by the `openssl ca` CLI, signed by `caCertificate`/`caKey`, revoking `revoked`.
    func opensslCRL(caCertificate: String, caKey: String, revoked: [String], name: String) async throws -> String {
        let directory = root.appendingPathComponent("openssl-\(name)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data().write(to: directory.appendingPathComponent("index.txt"))
        try Data("1000\n".utf8).write(to: directory.appendingPathComponent("crlnumber"))
        let config = directory.appendingPathComponent("openssl.cnf")
        try Data(
            """
            [ ca ]
            default_ca = CA_default
            [ CA_default ]
            database = \(directory.path)/index.txt
            crlnumber = \(directory.path)/crlnumber
            default_md = sha256
            default_crl_days = 30

            """.utf8
        ).write(to: config)
        let base = ["ca", "-batch", "-config", config.path, "-keyfile", caKey, "-cert", caCertificate]
        for certificate in revoked {
            let r = try await runProcess("/usr/bin/env", ["openssl"] + base + ["-revoke", certificate])
            guard r.status == 0 else { throw TestFailure("openssl ca -revoke: \(r.summary)") }
        }
        let out = directory.appendingPathComponent("\(name).crl.pem").path
        let r = try await runProcess("/usr/bin/env", ["openssl"] + base + ["-gencrl", "-out", out])
        guard r.status == 0 else { throw TestFailure("openssl ca -gencrl: \(r.summary)") }
        return out
    }
}

@Suite("anchorage admin commands end to end")
struct AdminCommandTests {
    static let groups: [String: [String]] = [
        "pki": ["init-ca", "issue"],
        "trust-anchor": ["add", "list", "show", "enable", "disable", "remove"],
        "crl": ["import", "list", "remove"],
        "profile": ["create", "list", "show", "enable", "disable", "add-role", "remove-role", "remove"],
        "role": ["create", "list", "show", "remove"],
    ]

    @Test("--help on every admin command prints its usage on stdout and exits 0")
    func helpEverywhere() async throws {
        let binary = try AnchorageBinary.url().path
        let top = try await runProcess(binary, ["--help"])
        #expect(top.status == 0)
        for group in Self.groups.keys { #expect(top.stdout.contains(group), "anchorage --help lists \(group)") }
        for (group, subcommands) in Self.groups {
            let r = try await runProcess(binary, [group, "--help"])
            #expect(r.status == 0 && r.stdout.contains("usage: anchorage \(group)"), "\(r.summary)")
            for subcommand in subcommands {
                let r = try await runProcess(binary, [group, subcommand, "--help"])
                #expect(r.status == 0, "\(r.summary)")
                #expect(r.stdout.contains("usage: anchorage \(group) \(subcommand)"), "\(r.summary)")
                #expect(r.stdout.contains("--pki DIR") && r.stdout.contains("--profiles DIR"), "\(r.summary)")
                #expect(r.stderr.isEmpty, "\(r.summary)")
            }
            let bad = try await runProcess(binary, [group, "no-such-subcommand"])
            #expect(bad.status == 64 && bad.stdout.isEmpty, "\(bad.summary)")
        }
    }

    @Test("invalid input is refused (exit 1, or 64 for usage) with nothing changed on disk")
    func refusalsChangeNothing() async throws {
        let w = try AdminWorkspace()
        try await w.succeed([
            "pki", "init-ca", "--subject", "/O=Lab/CN=Lab Root", "--key-type", "rsa-3072",
            "--certificate", w.key("ca.pem"), "--private-key", w.key("ca.key"),
        ])
        try await w.succeed([
            "pki", "issue", "--ca-certificate", w.key("ca.pem"), "--ca-private-key", w.key("ca.key"),
            "--subject", "/O=Lab/OU=web/CN=leaf", "--certificate", w.key("leaf.pem"),
            "--private-key", w.key("leaf.key"),
        ])
        // An impostor CA with the same name but another key: its CRL names the anchor but does not verify.
        try await w.succeed([
            "pki", "init-ca", "--subject", "/O=Lab/CN=Lab Root", "--certificate", w.key("impostor.pem"),
            "--private-key", w.key("impostor.key"),
        ])
        let forgedCRL = try await w.opensslCRL(
            caCertificate: w.key("impostor.pem"), caKey: w.key("impostor.key"), revoked: [], name: "forged")
        try await w.succeed(["trust-anchor", "add", "lab", "--certificates", w.key("ca.pem")])
        try await w.succeed(["role", "create", "web-reader", "--trust-anchor", "lab"])
        try await w.succeed(["profile", "create", "web", "--role", "web-reader"])
        try Data("{\"Version\": \"2012-10-17\", \"Statement\": [".utf8).write(
            to: URL(fileURLWithPath: w.key("broken.json")))

        let cases: [([String], Int32, String)] = [
            (["trust-anchor", "add", "leafy", "--certificates", w.key("leaf.pem")], 1, "not a CA certificate"),
            (["trust-anchor", "add", "lab", "--certificates", w.key("ca.pem")], 1, "already exists"),
            (["trust-anchor", "add", "x"], 64, "--certificates FILE is required"),
            (["crl", "import", "lab", forgedCRL], 1, "does not verify"),
            (["crl", "import", "lab", w.key("leaf.pem")], 1, "is not a CRL"),
            (["profile", "create", "other", "--role", "arn:aws:iam::123456789012:role/ghost"], 1, "is not defined"),
            (["profile", "add-role", "web", "arn:aws:iam::123456789012:role/ghost"], 1, "is not defined"),
            (["role", "remove", "web-reader"], 1, "is not defined"),
            (["role", "create", "r2", "--policy-file", w.key("broken.json")], 1, "not valid JSON"),
            (["role", "create", "r2", "--condition", "StringEquals"], 64, "OPERATOR:KEY=VALUE"),
            (["role", "create", "r2", "--bogus"], 64, "unknown option --bogus"),
            (
                [
                    "pki", "issue", "--ca-certificate", w.key("ca.pem"), "--ca-private-key", w.key("ca.key"),
                    "--subject", "/CN=x", "--certificate", w.key("x.pem"),
                    "--private-key", w.configuration.pki.path + "/x.key",
                ], 1, "inside the PKI directory"
            ),
        ]
        for (arguments, status, message) in cases {
            let before = w.treeDigest()
            let r = try await w.anchorage(arguments)
            #expect(r.status == status, "\(r.summary)")
            #expect(r.stderr.contains(message), "\(r.summary)")
            #expect(r.stdout.isEmpty, "\(r.summary)")
            let after = w.treeDigest()
            #expect(
                after.hash == before.hash, "\(arguments) changed the tree:\n\(before.listing)\n---\n\(after.listing)")
        }
        #expect(!FileManager.default.fileExists(atPath: w.key("x.pem")))
        let validate = try await w.anchorage(["validate"])
        #expect(validate.status == 0, "\(validate.summary)")
    }

    @Test("a configuration built only with the CLI validates and serves credentials; its CRL revokes")
    func cliBuiltConfigurationServes() async throws {
        let w = try AdminWorkspace()
        try await w.succeed([
            "pki", "init-ca", "--subject", "/C=US/O=Lab/CN=Lab Root CA", "--key-type", "ec-p384",
            "--certificate", w.key("ca.pem"), "--private-key", w.key("ca.key"),
        ])
        func issue(_ name: String, ou: String, keyType: String) async throws {
            try await w.succeed([
                "pki", "issue", "--ca-certificate", w.key("ca.pem"), "--ca-private-key", w.key("ca.key"),
                "--subject", "/O=Lab/OU=\(ou)/CN=\(name)", "--dns", "\(name).lab.test",
                "--uri", "spiffe://lab.test/\(name)", "--key-type", keyType, "--days", "30",
                "--certificate", w.key("\(name).pem"), "--private-key", w.key("\(name).key"),
            ])
        }
        try await issue("web-1", ou: "web", keyType: "ec-p256")
        try await issue("web-rsa", ou: "web", keyType: "rsa-2048")
        try await issue("revoked", ou: "web", keyType: "ec-p256")
        try await issue("ops-1", ou: "ops", keyType: "ec-p256")
        var info = stat()
        #expect(stat(w.key("web-1.key"), &info) == 0 && info.st_mode & 0o777 == 0o600)

        let anchorARN = try await w.succeed(
            ["trust-anchor", "add", "lab", "--certificates", w.key("ca.pem"), "--region", "us-east-1"])
        #expect(anchorARN.hasPrefix("arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/"))
        let crl = try await w.opensslCRL(
            caCertificate: w.key("ca.pem"), caKey: w.key("ca.key"), revoked: [w.key("revoked.pem")], name: "lab")
        let crlFile = try await w.succeed(["crl", "import", "lab", crl])
        #expect(crlFile.hasSuffix("trust-anchors/lab/crls/lab.pem"))
        let roleARN = try await w.succeed(
            [
                "role", "create", "web-reader", "--trust-anchor", "lab",
                "--condition", "StringEquals:aws:PrincipalTag/x509Subject/OU=web",
                "--condition", "StringLike:aws:PrincipalTag/x509SAN/URI=spiffe://lab.test/*",
            ])
        #expect(roleARN == "arn:aws:iam::123456789012:role/web-reader")
        try await w.succeed([
            "role", "create", "audit", "--condition", "StringEquals:aws:PrincipalTag/x509Subject/OU=audit",
        ])
        let profileARN = try await w.succeed(["profile", "create", "web", "--role", "audit"])
        try await w.succeed(["profile", "add-role", "web", "web-reader"])

        let validate = try await w.anchorage(["validate"])
        #expect(validate.status == 0, "\(validate.summary)")
        let crls = try JSONValue.parse(try await w.succeed(["crl", "list", "--json"]))
        #expect(crls[0]?["revoked"]?.number == 1 && crls[0]?["anchor"]?.string == "lab", "\(crls)")

        let fixtures = try FixturePKI.shared()
        let server = try await AnchorageServerProcess.start(configuration: w.configuration, pki: fixtures)
        func request(_ leaf: String, role: String = roleARN) async throws -> (status: Int, json: JSONValue) {
            let r = try await Clients.python(
                "raw_client.py",
                [
                    "--endpoint", server.endpoint, "--ca-bundle", fixtures.caBundle.path,
                    "--certificate", w.key("\(leaf).pem"), "--private-key", w.key("\(leaf).key"),
                    "--profile-arn", profileARN, "--role-arn", role, "--trust-anchor-arn", anchorARN,
                ],
                caBundle: fixtures.caBundle)
            guard r.status == 0, let line = r.stdout.split(separator: "\n").last,
                let out = try? JSONValue.parse(String(line)), let status = out["status"]?.number
            else { throw TestFailure("raw_client.py failed: \(r.summary)") }
            return (Int(status), out)
        }
        for leaf in ["web-1", "web-rsa"] {
            let allowed = try await request(leaf)
            #expect(allowed.status == 201, "\(leaf): \(allowed.json)")
            let credentials = allowed.json["json"]?["credentialSet"]?[0]?["credentials"]
            #expect(credentials?["accessKeyId"]?.string?.hasPrefix("ASIA") == true, "\(allowed.json)")
            IssuedSecrets.shared.record(credentials?["secretAccessKey"]?.string, credentials?["sessionToken"]?.string)
        }
        let revoked = try await request("revoked")
        #expect(revoked.status == 403, "\(revoked.json)")
        let revokedId = try #require(revoked.json["headers"]?["x-amzn-requestid"]?.string)
        #expect(try server.auditEntry(requestId: revokedId)?["reason"]?.string == "certificate_revoked")
        let ops = try await request("ops-1")
        #expect(ops.status == 403, "\(ops.json)")
        let opsId = try #require(ops.json["headers"]?["x-amzn-requestid"]?.string)
        #expect(try server.auditEntry(requestId: opsId)?["reason"]?.string == "trust_policy_not_allowed")

        // Disabling the profile with the CLI is picked up by the running server (its reload), within 2 s.
        try await w.succeed(["profile", "disable", "web"])
        let disabled = try await poll(for: 5) { () async throws -> Bool? in
            try await request("web-1").status == 403 ? true : nil
        }
        #expect(disabled == true, "the server still allowed web-1 after `profile disable`")
        #expect(await server.stop() == 0)
    }
}
