import AnchorageCrypto
import Testing

@Suite struct CertificateTests {
    static let now: Int64 = 1_795_575_845  // 2026-11-25T03:04:05Z

    struct TestPKI {
        let rootKey: PrivateKey
        let root: Certificate
        let leafKey: PrivateKey
        let leaf: Certificate
    }

    static func makePKI(leafAlgorithm: PrivateKey.Algorithm = .ecP256) throws -> TestPKI {
        let rootKey = try PrivateKey.generate(.ecP256)
        var rootBuilder = CertificateBuilder(
            subject: [("O", "Test"), ("CN", "Root")], notBefore: now - 86400, notAfter: now + 86400 * 365)
        rootBuilder.isCA = true
        rootBuilder.keyUsage = "keyCertSign,cRLSign"
        let root = try rootBuilder.issue(for: rootKey, issuer: nil, issuerKey: rootKey)
        let leafKey = try PrivateKey.generate(leafAlgorithm)
        var leafBuilder = CertificateBuilder(
            subject: [("O", "Test"), ("OU", "a"), ("OU", "b"), ("CN", "leaf")], notBefore: now - 60,
            notAfter: now + 3600)
        leafBuilder.keyUsage = "digitalSignature"
        leafBuilder.subjectAlternativeName = "DNS:leaf.example,URI:spiffe://example/leaf,IP:127.0.0.1"
        leafBuilder.serialNumber = [0x01, 0x23]
        let leaf = try leafBuilder.issue(for: leafKey, issuer: root, issuerKey: rootKey)
        return TestPKI(rootKey: rootKey, root: root, leafKey: leafKey, leaf: leaf)
    }

    @Test func issuedLeafExposesItsFields() throws {
        let pki = try Self.makePKI()
        #expect(pki.leaf.version == 3)
        #expect(!pki.leaf.isCA)
        #expect(pki.root.isCA)
        #expect(pki.leaf.keyUsage?.contains(.digitalSignature) == true)
        #expect(pki.leaf.serialNumberDecimal == "291")
        #expect(pki.leaf.serialNumberHex == "0123")
        #expect(pki.leaf.signatureDigestName == "sha256")
        #expect(pki.leaf.subject.map(\.shortName) == ["O", "OU", "OU", "CN"])
        #expect(pki.leaf.subjectString == "CN=leaf,OU=b,OU=a,O=Test")
        #expect(pki.leaf.subjectAlternativeNames.dnsNames == ["leaf.example"])
        #expect(pki.leaf.subjectAlternativeNames.uris == ["spiffe://example/leaf"])
        #expect(pki.leaf.notAfter == Self.now + 3600)
        #expect(try pki.leaf.publicKey.kind == .ec(curve: "prime256v1"))
        #expect(try PrivateKey.generate(.ecP384).publicKey.kind == .ec(curve: "secp384r1"))
        #expect(try PrivateKey.generate(.rsa(bits: 2048)).publicKey.kind == .rsa(bits: 2048))
        let reparsed = try Certificate.parsePEMBundle(Array(pki.leaf.pemString.utf8))
        #expect(reparsed.count == 1 && reparsed[0].derBytes == pki.leaf.derBytes)
    }

    /// Validity times in both encodings (UTCTime up to 2049, GeneralizedTime after), before the epoch, at its
    /// start, on a leap day and at the last second RFC 5280 allows, read back to the second.
    @Test(arguments: [
        Int64(-631_152_000),  // 1950-01-01T00:00:00Z, the first UTCTime instant
        0, 951_782_400,  // 2000-02-29T00:00:00Z
        2_524_607_999,  // 2049-12-31T23:59:59Z, the last UTCTime second
        2_524_608_000,  // 2050-01-01T00:00:00Z, GeneralizedTime
        253_402_300_799,  // 9999-12-31T23:59:59Z, "no well-defined expiration date"
    ])
    func validityReadsBackToTheSecond(_ instant: Int64) throws {
        let key = try PrivateKey.generate(.ecP256)
        let certificate = try CertificateBuilder(
            subject: [("CN", "validity")], notBefore: instant - 90_061, notAfter: instant
        ).issue(for: key, issuer: nil, issuerKey: key)
        #expect(certificate.notBefore == instant - 90_061)  // a day, an hour, a minute and a second before
        #expect(certificate.notAfter == instant)
    }

    @Test(arguments: [PrivateKey.Algorithm.ecP256, .ecP384, .ecP521, .rsa(bits: 2048)])
    func signaturesVerifyAndTamperingFails(_ algorithm: PrivateKey.Algorithm) throws {
        let key = try PrivateKey.generate(algorithm)
        let message = Array("AWS4-X509-ECDSA-SHA256\n20261125T030405Z\n".utf8)
        let signature = try key.signSHA256(message)
        let publicKey = try key.publicKey
        #expect(publicKey.verifySHA256Signature(signature, over: message))
        var altered = message
        altered[0] ^= 1
        #expect(!publicKey.verifySHA256Signature(signature, over: altered))
        #expect(!publicKey.verifySHA256Signature([0x30, 0x00], over: message))
    }

    @Test func pathBuildsToTheAnchorAndFailsElsewhere() throws {
        let pki = try Self.makePKI()
        let store = try TrustStore(anchors: [pki.root], revocationLists: [])
        guard case .trusted(let path) = store.buildPath(leaf: pki.leaf, untrusted: [pki.leaf, pki.root], at: Self.now)
        else {
            Issue.record("expected a trusted path")
            return
        }
        #expect(path.count == 2)
        #expect(path.last?.derBytes == pki.root.derBytes)
        guard case .failure(let failure, _) = store.buildPath(leaf: pki.leaf, untrusted: [], at: Self.now + 7200) else {
            Issue.record("expected expiry")
            return
        }
        #expect(failure == .expired)
        let other = try Self.makePKI()
        let otherStore = try TrustStore(anchors: [other.root], revocationLists: [])
        guard case .failure(let noPath, _) = otherStore.buildPath(leaf: pki.leaf, untrusted: [], at: Self.now) else {
            Issue.record("expected no path")
            return
        }
        #expect(noPath == .noPathToAnchor)
    }

    @Test func malformedDERIsRejected() {
        #expect(throws: CryptoError.self) { try Certificate(derBytes: [0x30, 0x03, 0x02, 0x01]) }
        #expect(throws: CryptoError.self) {
            try Certificate.parsePEMBundle(Array("-----BEGIN CERTIFICATE-----\n@@@\n-----END CERTIFICATE-----".utf8))
        }
    }

    @Test func aesGCMSealsOpensAndDetectsTampering() throws {
        let key = SecureRandom.bytes(32)
        let nonce = SecureRandom.bytes(12)
        let sealed = try AES256GCM.seal(Array("secret".utf8), key: key, nonce: nonce, authenticating: [1, 2])
        #expect(AES256GCM.open(sealed, key: key, nonce: nonce, authenticating: [1, 2]) == Array("secret".utf8))
        var tampered = sealed
        tampered[0] ^= 1
        #expect(AES256GCM.open(tampered, key: key, nonce: nonce, authenticating: [1, 2]) == nil)
        #expect(AES256GCM.open(sealed, key: key, nonce: nonce, authenticating: [1, 3]) == nil)
    }

    @Test func base64IsStrict() {
        #expect(Base64.encode(Array("ab".utf8)) == "YWI=")
        #expect(Base64.decode("YWI=") == Array("ab".utf8))
        #expect(Base64.decode("YWI") == nil)
        #expect(Base64.decode("Y=WI") == nil)
        #expect(Base64.decode("!!!!") == nil)
    }

    /// Every length and tail (none, one or two padding characters) against a textbook encoder, and back.
    @Test func base64MatchesTheTextbookEncodingAtEveryLength() {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        func reference(_ bytes: [UInt8]) -> String {
            var bits = bytes.map { String($0, radix: 2) }.map { String(repeating: "0", count: 8 - $0.count) + $0 }
                .joined()
            let padding = (3 - bytes.count % 3) % 3
            bits += String(repeating: "0", count: (6 - bits.count % 6) % 6)
            var out = ""
            var index = bits.startIndex
            while index < bits.endIndex {
                let next = bits.index(index, offsetBy: 6)
                out.append(alphabet[Int(bits[index..<next], radix: 2)!])
                index = next
            }
            return out + String(repeating: "=", count: padding)
        }
        var generator = SystemRandomNumberGenerator()
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(Base64.encode(bytes) == reference(bytes))
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
            #expect(Base64.encode(bytes[...]) == reference(bytes))
        }
        #expect(Base64.decode("YQ==") == [0x61])
        #expect(Base64.decode("YQ=a") == nil)
        #expect(Base64.decode("Y===") == nil)
        #expect(Base64.decode("YWJj====") == nil)
    }
}
