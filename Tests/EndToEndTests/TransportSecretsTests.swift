import AnchorageTestSupport
import Foundation
import Testing

/// One `openssl s_client` handshake against the server and what must come of it.
struct TLSOffer: Sendable, CustomTestStringConvertible {
    let name: String
    let arguments: [String]
    /// The negotiated suite, or nil when the server must refuse the handshake.
    let expectedCipher: String?
    var testDescription: String { name }

    static let all: [TLSOffer] = [
        // `@SECLEVEL=0` makes the client really offer what OpenSSL 3 would otherwise drop on its own side.
        TLSOffer(name: "TLS 1.0", arguments: ["-tls1", "-cipher", "ALL:@SECLEVEL=0"], expectedCipher: nil),
        TLSOffer(name: "TLS 1.1", arguments: ["-tls1_1", "-cipher", "ALL:@SECLEVEL=0"], expectedCipher: nil),
        TLSOffer(
            name: "TLS 1.2 RC4/DES/3DES/NULL/EXPORT/aNULL/MD5",
            arguments: ["-tls1_2", "-cipher", "RC4:DES:3DES:NULL:EXPORT:aNULL:MD5:@SECLEVEL=0"], expectedCipher: nil),
        TLSOffer(
            name: "TLS 1.2 CBC with SHA-1",
            arguments: [
                "-tls1_2", "-cipher",
                "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA:AES128-SHA:AES256-SHA",
            ],
            expectedCipher: nil),
        TLSOffer(
            name: "TLS 1.2 CBC with SHA-256/384",
            arguments: [
                "-tls1_2", "-cipher",
                "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-SHA384",
            ],
            expectedCipher: nil),
        TLSOffer(
            name: "TLS 1.2 static RSA key exchange (no forward secrecy)",
            arguments: ["-tls1_2", "-cipher", "AES128-GCM-SHA256:AES256-GCM-SHA384"], expectedCipher: nil),
        TLSOffer(
            name: "TLS 1.2 finite-field DHE",
            arguments: ["-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-CHACHA20-POLY1305"],
            expectedCipher: nil),
        TLSOffer(
            name: "TLS 1.2 CCM and CAMELLIA/ARIA",
            arguments: [
                "-tls1_2", "-cipher",
                "ECDHE-ECDSA-AES128-CCM:ECDHE-ECDSA-AES128-CCM8:ECDHE-ECDSA-CAMELLIA128-SHA256:ECDHE-ECDSA-ARIA128-GCM-SHA256:@SECLEVEL=0",
            ],
            expectedCipher: nil),
        TLSOffer(
            name: "TLS 1.3 AES-128-CCM only",
            arguments: ["-tls1_3", "-ciphersuites", "TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256"],
            expectedCipher: nil),
        TLSOffer(
            name: "TLS 1.2 client defaults", arguments: ["-tls1_2"], expectedCipher: "ECDHE-ECDSA-AES128-GCM-SHA256"),
        TLSOffer(
            name: "TLS 1.2 AES-256-GCM", arguments: ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"],
            expectedCipher: "ECDHE-ECDSA-AES256-GCM-SHA384"),
        TLSOffer(
            name: "TLS 1.2 ChaCha20-Poly1305", arguments: ["-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"],
            expectedCipher: "ECDHE-ECDSA-CHACHA20-POLY1305"),
        TLSOffer(name: "TLS 1.3 client defaults", arguments: ["-tls1_3"], expectedCipher: "TLS_AES_128_GCM_SHA256"),
        TLSOffer(
            name: "TLS 1.3 ChaCha20-Poly1305", arguments: ["-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"],
            expectedCipher: "TLS_CHACHA20_POLY1305_SHA256"),
    ]
}

@Suite("Transport and secrets end to end")
struct TransportSecretsTests {
    @Test("TLS: openssl s_client gets only TLS 1.2/1.3 with ECDHE and AEAD suites", arguments: TLSOffer.all)
    func tlsOffer(_ offer: TLSOffer) async throws {
        let context = try await SharedServer.shared.context()
        let r = try await runProcess(
            "/usr/bin/env",
            [
                "openssl", "s_client", "-connect", context.server.endpoint, "-CAfile", context.pki.caBundle.path,
                "-servername", "127.0.0.1",
            ] + offer.arguments, timeout: 15)
        // `New, TLSv1.2, Cipher is X` after a handshake; `Cipher is (NONE)` when the server refused.
        let line = r.stdout.split(separator: "\n").first { $0.contains("Cipher is") }.map(String.init) ?? ""
        let cipher = line.components(separatedBy: "Cipher is ").last?.trimmingCharacters(in: .whitespaces)
        if let expected = offer.expectedCipher {
            #expect(cipher == expected, "\(line)\n\(r.stderr.suffix(800))")
            #expect(r.stdout.contains("Verify return code: 0 (ok)"), "\(r.stdout.suffix(800))")
        } else {
            #expect(cipher == "(NONE)" || line.isEmpty, "the server accepted \(offer.name): \(line)")
            // Refused by the server (an alert), not merely unsupported by this client.
            #expect(
                r.stderr.contains("alert") || r.stderr.contains("handshake failure"),
                "\(offer.name): \(r.stderr.suffix(800))")
        }
    }

    /// Every secret a full run issued or used, and the private keys it read.
    struct Secrets {
        var values: [String: String] = [:]  // label → value

        mutating func credential(_ label: String, secret: String?, token: String?) {
            if let secret, !secret.isEmpty { values["\(label) secretAccessKey"] = secret }
            if let token, !token.isEmpty {
                values["\(label) sessionToken"] = token
                // A log that shortened the token must not hide it: its middle 32 characters too.
                let middle = token.index(token.startIndex, offsetBy: token.count / 2 - 16)
                values["\(label) sessionToken (middle)"] = String(token[middle..<token.index(middle, offsetBy: 32)])
            }
        }

        /// Each base64 line of a PEM private key (and the whole body), as a log could show it.
        mutating func privateKey(_ url: URL) throws {
            let text = try String(contentsOf: url, encoding: .utf8)
            let lines = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }
            for (index, line) in lines.enumerated() where line.count >= 24 {
                values["\(url.lastPathComponent) line \(index + 1)"] = String(line)
            }
            values["\(url.lastPathComponent) body"] = lines.joined()
        }
    }

    @Test("no secret key, session token or private key appears in anything a full run wrote")
    func noSecretsAnywhere() async throws {
        // Debug logging: the most the server ever writes.
        let context = try await OwnServer.start(extraArguments: ["--log-level", "debug"])
        let pki = context.pki
        let server = context.server
        var secrets = Secrets()
        var written: [(String, String)] = []  // (what, text)

        // CreateSession: allowed (Go-helper shape and the Python client), denied, and hostile.
        let allowed = try await Clients.raw(RawRequest(leaf: "leaf-ec-p256"), context)
        #expect(allowed.status == 201, "\(allowed.output.prefix(1000))")
        let creds = allowed.json?["credentialSet"]?[0]?["credentials"]
        secrets.credential("raw", secret: creds?["secretAccessKey"]?.string, token: creds?["sessionToken"]?.string)
        let session = SessionCredentials(
            accessKeyId: creds?["accessKeyId"]?.string ?? "", secretAccessKey: creds?["secretAccessKey"]?.string ?? "",
            sessionToken: creds?["sessionToken"]?.string ?? "")
        let python = try await Clients.pythonSession(leaf: "leaf-rsa-2048", context)
        secrets.credential("python", secret: python["secretAccessKey"]?.string, token: python["sessionToken"]?.string)
        let denied = try await Clients.raw(RawRequest(leaf: "leaf-ec-p256", roleArn: ARNs.opsOnly), context)
        #expect(denied.status == 403)
        let badSignature = try await Clients.raw(RawRequest(leaf: "leaf-ec-p256", arguments: ["--alter-body"]), context)
        #expect(badSignature.status == 403)

        // STS: allowed, wrong secret, tampered token, presigned.
        let identity = try await STSClients.script("boto3", session, context)
        #expect(identity["ok"]?.bool == true, "\(identity)")
        var wrong = session
        wrong.secretAccessKey = String(repeating: "x", count: 40)
        let wrongSecret = try await STSClients.script("signed-call", wrong, context)
        #expect(wrongSecret["code"]?.string == "SignatureDoesNotMatch", "\(wrongSecret)")
        var tampered = session
        tampered.sessionToken = String(session.sessionToken.dropLast(4)) + "AAAA"
        let tamperedToken = try await STSClients.script("signed-call", tampered, context)
        #expect(tamperedToken["code"]?.string == "InvalidClientTokenId", "\(tamperedToken)")
        _ = try await STSClients.script("presign", session, context)

        // The helper: a success (its stdout is the credential, by design) and a failure; stderr of both is checked.
        let helper = try HelperBinary.path()
        let good = try HelperInputs.identities()[0]
        let helperOK = try await runProcess(helper, ["credential-process"] + HelperInputs.arguments(good, server))
        #expect(helperOK.status == 0, "\(helperOK.summary)")
        let helperJSON = try? JSONValue.parse(helperOK.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        secrets.credential(
            "helper", secret: helperJSON?["SecretAccessKey"]?.string, token: helperJSON?["SessionToken"]?.string)
        written.append(("helper stderr (success)", helperOK.stderr))
        let helperDenied = try await runProcess(
            helper, ["credential-process"] + HelperInputs.arguments(good, server, roleArn: ARNs.denied))
        #expect(helperDenied.status == 1, "\(helperDenied.summary)")
        written.append(("helper stderr (denied)", helperDenied.stderr))
        written.append(("helper stdout (denied)", helperDenied.stdout))

        // Revoke the first session; the next STS call with it is refused.
        let revoke = try await STSClients.anchorage(
            [
                "revoke", "--pki", context.configuration.pki.path, "--profiles", context.configuration.profiles.path,
                "--access-key-id", session.accessKeyId, "--reason", "leak test",
            ])
        #expect(revoke.status == 0, "\(revoke.summary)")
        written.append(("anchorage revoke stdout", revoke.stdout))
        written.append(("anchorage revoke stderr", revoke.stderr))
        server.send(signal: SIGHUP)
        let refused = try await poll(for: 5, every: 0.2) { () -> JSONValue? in
            let r = try await STSClients.script("signed-call", session, context)
            return r["code"]?.string == "InvalidClientTokenId" ? r : nil
        }
        #expect(refused != nil, "the revoked session is refused")

        // A configuration reload that fails (logged with file and JSON path).
        let role = context.configuration.profiles.appendingPathComponent("roles/web-reader.json")
        try Data("{\"Arn\": \"arn:aws:iam::123456789012:role/web-reader\", \"Broken\": ".utf8).write(to: role)
        server.send(signal: SIGHUP)
        let reloadError = try await poll(for: 5, every: 0.2) { () -> Bool? in
            server.stderr.contains("configuration reload failed") ? true : nil
        }
        #expect(reloadError == true, "reload error logged: \(server.stderr.suffix(2000))")
        let afterBrokenEdit = try await Clients.raw(RawRequest(leaf: "leaf-ec-p256"), context)
        #expect(afterBrokenEdit.status == 201, "the previous configuration keeps serving")
        let c2 = afterBrokenEdit.json?["credentialSet"]?[0]?["credentials"]
        secrets.credential("after reload", secret: c2?["secretAccessKey"]?.string, token: c2?["sessionToken"]?.string)

        #expect(await server.stop() == 0)

        // Every private key the run used: the fixture PKI's (leaves, CAs, the server's TLS key).
        let keys = try FileManager.default.contentsOfDirectory(
            at: pki.directory.appendingPathComponent("keys"), includingPropertiesForKeys: nil)
        for key in keys where key.pathExtension == "key" { try secrets.privateKey(key) }
        for value in IssuedSecrets.shared.all { secrets.values["issued elsewhere \(value.prefix(6))…"] = value }
        #expect(secrets.values.count > 20, "the secrets to look for were collected: \(secrets.values.keys.sorted())")

        // Everything the server wrote: stdout, stderr, and every file under its state directory.
        written.append(("server stdout", server.stdout))
        written.append(("server stderr", server.stderr))
        let files = FileManager.default.enumerator(at: server.stateDirectory, includingPropertiesForKeys: nil)
        var stateFiles = 0
        while let url = files?.nextObject() as? URL {
            guard let data = FileManager.default.contents(atPath: url.path) else { continue }
            written.append(("state \(url.lastPathComponent)", String(decoding: data, as: UTF8.self)))
            stateFiles += 1
        }
        #expect(stateFiles >= 2, "audit.jsonl and token-keyring.json at least")
        for (what, text) in written {
            for (label, value) in secrets.values where text.contains(value) {
                Issue.record("\(label) appears in \(what)")
            }
        }
    }
}
