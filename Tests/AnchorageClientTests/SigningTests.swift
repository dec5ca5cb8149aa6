import AnchorageCore
import AnchorageCrypto
import Foundation
import Testing

@testable import AnchorageClient

/// A throwaway CA and leaf, written to a temporary directory for the loaders.
struct TestIdentity {
    let directory: URL
    let key: PrivateKey
    let certificate: Certificate
    let intermediate: Certificate

    init(_ algorithm: PrivateKey.Algorithm) throws {
        directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
            "helper-unit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let caKey = try PrivateKey.generate(.ecP256)
        var ca = CertificateBuilder(subject: [("CN", "Unit CA")], notBefore: 1_700_000_000, notAfter: 2_300_000_000)
        ca.isCA = true
        ca.keyUsage = "keyCertSign,cRLSign"
        intermediate = try ca.issue(for: caKey, issuer: nil, issuerKey: caKey)
        key = try PrivateKey.generate(algorithm)
        var leaf = CertificateBuilder(
            subject: [("OU", "web"), ("CN", "unit")], notBefore: 1_700_000_000, notAfter: 2_300_000_000)
        leaf.keyUsage = "digitalSignature"
        leaf.serialNumber = [0x01, 0x00]  // 256: decimal and hex differ
        certificate = try leaf.issue(for: key, issuer: intermediate, issuerKey: caKey)
        try certificate.pemString.write(to: certificatePath, atomically: true, encoding: .utf8)
        try intermediate.pemString.write(to: intermediatesPath, atomically: true, encoding: .utf8)
        try Data(key.pkcs8PEM).write(to: keyPath)
    }

    var certificatePath: URL { directory.appendingPathComponent("leaf.pem") }
    var intermediatesPath: URL { directory.appendingPathComponent("chain.pem") }
    var keyPath: URL { directory.appendingPathComponent("leaf.key") }

    var source: SigningIdentitySource {
        SigningIdentitySource(
            certificatePath: certificatePath.path, privateKeyPath: keyPath.path,
            intermediatesPath: intermediatesPath.path)
    }
}

@Suite("CreateSession request signing")
struct SigningTests {
    static let parameters = CreateSessionParameters(
        trustAnchorArn: "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/ta",
        profileArn: "arn:aws:rolesanywhere:us-east-1:123456789012:profile/p",
        roleArn: "arn:aws:iam::123456789012:role/web-reader", durationSeconds: 900, roleSessionName: "me@x",
        region: "us-east-1")

    @Test("requests are signed like the Go helper's, and the signature verifies", arguments: [false, true])
    func signedLikeTheGoHelper(rsa: Bool) throws {
        let fixture = try TestIdentity(rsa ? .rsa(bits: 2048) : .ecP256)
        let identity = try fixture.source.load()
        let date = AmzDate("20261125T030405Z")!
        let request = try SignedCreateSessionRequest(
            parameters: Self.parameters, identity: identity, endpoint: try Endpoint(parsing: "https://127.0.0.1:8443"),
            date: date, userAgent: "anchorage-helper/test")
        #expect(
            request.target == "/sessions?profileArn=arn%3Aaws%3Arolesanywhere%3Aus-east-1%3A123456789012%3Aprofile%2Fp"
                + "&roleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fweb-reader"
                + "&trustAnchorArn=arn%3Aaws%3Arolesanywhere%3Aus-east-1%3A123456789012%3Atrust-anchor%2Fta")
        #expect(String(decoding: request.body, as: UTF8.self) == #"{"durationSeconds":900,"roleSessionName":"me@x"}"#)
        let headers = Dictionary(
            request.headers.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
        #expect(headers["host"] == "127.0.0.1:8443")
        #expect(headers["content-type"] == "application/json")
        #expect(headers["x-amz-date"] == "20261125T030405Z")
        #expect(headers["user-agent"] == "anchorage-helper/test")
        #expect(headers["x-amz-x509"] == Base64.encode(fixture.certificate.derBytes))
        #expect(headers["x-amz-x509-chain"] == Base64.encode(fixture.intermediate.derBytes))
        let algorithm = rsa ? "AWS4-X509-RSA-SHA256" : "AWS4-X509-ECDSA-SHA256"
        let authorization = try #require(headers["authorization"])
        let prefix =
            "\(algorithm) Credential=256/20261125/us-east-1/rolesanywhere/aws4_request, "
            + "SignedHeaders=content-type;host;x-amz-date;x-amz-x509;x-amz-x509-chain, Signature="
        #expect(authorization.hasPrefix(prefix), "\(authorization)")

        // Rebuild the signing input independently of the request builder and verify.
        let (_, stringToSign) = X509RequestSigner.canonicalRequestAndStringToSign(
            method: "POST", rawPath: "/sessions", rawQuery: String(request.target.split(separator: "?")[1]),
            headers: request.headers,
            signedHeaders: ["content-type", "host", "x-amz-date", "x-amz-x509", "x-amz-x509-chain"],
            body: request.body, algorithm: algorithm, amzDate: "20261125T030405Z",
            scope: CredentialScope(date: "20261125", region: "us-east-1", service: "rolesanywhere"))
        #expect(stringToSign == request.stringToSign)
        let signature = try #require(Hex.decode(authorization.dropFirst(prefix.count)))
        #expect(try fixture.certificate.publicKey.verifySHA256Signature(signature, over: Array(stringToSign.utf8)))
        if !rsa { #expect(signature.first == 0x30, "ECDSA signatures are DER SEQUENCEs") }
    }

    @Test("without a chain, x-amz-x509-chain is neither sent nor signed; no roleSessionName, no body member")
    func noChain() throws {
        let fixture = try TestIdentity(.ecP384)
        var source = fixture.source
        source.intermediatesPath = nil
        var parameters = Self.parameters
        parameters.roleSessionName = nil
        let request = try SignedCreateSessionRequest(
            parameters: parameters, identity: try source.load(), endpoint: try Endpoint(parsing: "https://ra.example"),
            date: AmzDate("20261125T030405Z")!, userAgent: "ua")
        #expect(!request.headers.contains { $0.name == "X-Amz-X509-Chain" })
        #expect(request.headers.first { $0.name == "Host" }?.value == "ra.example")
        #expect(
            request.headers.first { $0.name == "Authorization" }?.value.contains(
                "SignedHeaders=content-type;host;x-amz-date;x-amz-x509,") == true)
        #expect(String(decoding: request.body, as: UTF8.self) == #"{"durationSeconds":900}"#)
    }

    @Test("a key that does not match the certificate is refused before any network call")
    func mismatchedKey() throws {
        let fixture = try TestIdentity(.ecP256)
        let other = try TestIdentity(.ecP256)
        var source = fixture.source
        source.privateKeyPath = other.keyPath.path
        #expect(throws: HelperError.self) { try source.load() }
        do {
            _ = try source.load()
        } catch {
            #expect(error.message.contains("does not match"))
        }
    }

    @Test("an encrypted key without --pkcs8-password asks for it")
    func encryptedKeyNeedsPassword() throws {
        let fixture = try TestIdentity(.ecP256)
        let path = fixture.directory.appendingPathComponent("enc.key")
        try "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"
            .write(to: path, atomically: true, encoding: .utf8)
        #expect(throws: HelperError("\(path.path): the private key is encrypted; pass --pkcs8-password")) {
            try SigningIdentitySource.readPrivateKey(path.path, password: nil)
        }
    }

    @Test("the sign-string message is the official helper's fixed string and verifies")
    func signStringMessage() throws {
        let key = try PrivateKey.generate(.ecP256)
        let message = SignString.message(for: try key.publicKey)
        #expect(message.starts(with: Array("AWS Roles Anywhere Credential Helper Signing Test1".utf8)))
        #expect(message.count == 50 + 32)
        #expect(try key.publicKey.subjectPublicKeyBytes.count == 65)  // 04 ‖ X ‖ Y
        for digest in ["SHA256", "SHA384", "SHA512"] {
            let signature = try key.sign(message, digestName: digest)
            #expect(try key.publicKey.verify(signature, over: message, digestName: digest))
        }
    }

    @Test("the credential_process line has the official field order")
    func credentialProcessLine() throws {
        let body =
            #"{"credentialSet":[{"credentials":{"accessKeyId":"ASIAEXAMPLEKEY0001","secretAccessKey":"secret/example+key=","sessionToken":"dG9rZW4=","expiration":"2026-11-25T04:04:05Z"}}],"subjectArn":"x"}"#
        let credentials = try CreateSessionClient.parseCredentials(Array(body.utf8))
        #expect(
            credentials.credentialProcessJSON
                == #"{"Version":1,"AccessKeyId":"ASIAEXAMPLEKEY0001","SecretAccessKey":"secret/example+key=","SessionToken":"dG9rZW4=","Expiration":"2026-11-25T04:04:05Z"}"#
        )
        #expect(credentials.expirationSeconds == 1_795_579_445)
        #expect(throws: HelperError.self) {
            try CreateSessionClient.parseCredentials(Array(#"{"credentialSet":[]}"#.utf8))
        }
    }
}
