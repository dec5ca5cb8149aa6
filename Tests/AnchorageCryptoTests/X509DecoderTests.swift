import Testing

@testable import AnchorageCrypto

/// The keyless parse plus a key built from its fields must give the certificate `d2i_X509` gives.
@Suite struct X509DecoderTests {
    static let now = CertificateTests.now

    /// Parses `der` both ways and checks that everything a request reads from the certificate is the same.
    static func bothWays(_ der: [UInt8]) throws -> (fast: Certificate, plain: Certificate) {
        let digest = CertificateDigest(sha256Of: der)
        let fast = try Certificate(derBytes: der, digest: digest)
        let plain = try Certificate(derBytes: der, digest: digest, fastPath: false)
        #expect(!plain.keyBuiltFromFields)
        #expect(fast.subjectString == plain.subjectString && fast.issuerString == plain.issuerString)
        #expect(fast.serialNumberDecimal == plain.serialNumberDecimal)
        #expect(fast.notBefore == plain.notBefore && fast.notAfter == plain.notAfter)
        #expect(fast.isCA == plain.isCA && fast.keyUsage == plain.keyUsage)
        #expect(fast.signatureDigestName == plain.signatureDigestName)
        #expect(fast.subjectAlternativeNames.dnsNames == plain.subjectAlternativeNames.dnsNames)
        let fastKey = Result { try fast.publicKey }
        let plainKey = Result { try plain.publicKey }
        switch (fastKey, plainKey) {
        case (.success(let a), .success(let b)):
            #expect(a.kind == b.kind)
            #expect(a.subjectPublicKeyInfoDER == b.subjectPublicKeyInfoDER)
        case (.failure, .failure): break
        default: Issue.record("one parse has a public key and the other has none")
        }
        return (fast, plain)
    }

    @Test func theFastPathIsThereExactlyOnOpenSSL30() {
        let version = X509Decoder.libraryVersion
        #expect(X509Decoder.hasFastPath == version.hasPrefix("OpenSSL 3.0."), "\(version)")
    }

    @Test(arguments: [PrivateKey.Algorithm.ecP256, .ecP384, .ecP521, .rsa(bits: 2048), .rsa(bits: 3072)])
    func keysBuiltFromFieldsMatchTheDecoder(_ algorithm: PrivateKey.Algorithm) throws {
        let pki = try CertificateTests.makePKI(leafAlgorithm: algorithm)
        let (fast, plain) = try Self.bothWays(pki.leaf.derBytes)
        #expect(fast.keyBuiltFromFields == X509Decoder.hasFastPath)
        #expect(try fast.publicKey.subjectPublicKeyInfoDER == pki.leafKey.publicKey.subjectPublicKeyInfoDER)

        let message = Array("AWS4-X509-ECDSA-SHA256\n20261125T030405Z\n".utf8)
        let signature = try pki.leafKey.signSHA256(message)
        #expect(try fast.publicKey.verifySHA256Signature(signature, over: message))
        #expect(try !fast.publicKey.verifySHA256Signature(signature, over: message + [0x0A]))

        // Path validation reads the leaf's key (OpenSSL's self-signed test): both parses validate alike.
        let store = try TrustStore(anchors: [pki.root], revocationLists: [])
        for leaf in [fast, plain] {
            guard case .trusted(let path) = store.buildPath(leaf: leaf, untrusted: [], at: Self.now) else {
                Issue.record("expected a trusted path for \(algorithm)")
                continue
            }
            #expect(path.count == 2)
        }
    }

    /// A P-256 leaf whose SubjectPublicKeyInfo holds a compressed point (`openssl ec -conv_form compressed`; made
    /// once with a throwaway CA, public certificate only). The key built from its fields keeps that form.
    static let compressedPointLeaf =
        "MIH7MIGjAhRfZSayKvZJy+DLJ978GaeEk8aD4DAKBggqhkjOPQQDAjANMQswCQYDVQQDDAJjYTAeFw0yNjEyMDMxNjU2NDNaFw0z"
        + "NjExMzAxNjU2NDNaMBUxEzARBgNVBAMMCmNvbXByZXNzZWQwOTATBgcqhkjOPQIBBggqhkjOPQMBBwMiAAOOEn0HmkjNLGgrT79S"
        + "Mthv6FwLgYnmaaNFUy1YmxsQfTAKBggqhkjOPQQDAgNHADBEAiBC1k/TGlJamzoTZ8CVCGpfURd5CZzDqUtEowAaGLdfiwIgJ61f"
        + "WmUb/TOG37QxmqV7yAs4J7k05eF61UIKn0SflvU="

    @Test func aCompressedPointIsBuiltLikeTheDecoderBuildsIt() throws {
        let der = try #require(Base64.decode(Self.compressedPointLeaf))
        let (fast, _) = try Self.bothWays(der)
        #expect(fast.keyBuiltFromFields == X509Decoder.hasFastPath)
        let spki = try fast.publicKey.subjectPublicKeyInfoDER
        #expect(spki.count == 59 && spki[26] == 0x03, "the SPKI is re-encoded with a compressed point")
        #expect(Self.range(of: spki, in: der) != nil)
    }

    @Test func aSelfSignedAnchorParsedFastValidatesAsItself() throws {
        let pki = try CertificateTests.makePKI()
        let (fast, plain) = try Self.bothWays(pki.root.derBytes)
        #expect(fast.keyBuiltFromFields == X509Decoder.hasFastPath)
        let store = try TrustStore(anchors: [fast], revocationLists: [])
        for root in [fast, plain] {
            guard case .trusted(let path) = store.buildPath(leaf: root, untrusted: [], at: Self.now) else {
                Issue.record("expected the anchor to validate as itself")
                continue
            }
            #expect(path.count == 1)
        }
        guard case .trusted = store.buildPath(leaf: pki.leaf, untrusted: [], at: Self.now) else {
            Issue.record("expected a leaf under the fast-parsed anchor to validate")
            return
        }
    }

    @Test func aLeafWithABrokenSignatureFailsValidationBothWays() throws {
        let pki = try CertificateTests.makePKI()
        var der = pki.leaf.derBytes
        der[der.count - 2] ^= 0x01  // inside the signature's last INTEGER
        let (fast, plain) = try Self.bothWays(der)
        #expect(fast.keyBuiltFromFields == X509Decoder.hasFastPath)
        let store = try TrustStore(anchors: [pki.root], revocationLists: [])
        for leaf in [fast, plain] {
            guard case .failure(let failure, let depth) = store.buildPath(leaf: leaf, untrusted: [], at: Self.now)
            else {
                Issue.record("a leaf whose signature was altered validated")
                continue
            }
            #expect(failure == .badSignature && depth == 0)
        }
    }

    @Test func aPointOffTheCurveLeavesTheCertificateWithoutAKeyBothWays() throws {
        let pki = try CertificateTests.makePKI()
        let spki = try pki.leafKey.publicKey.subjectPublicKeyInfoDER
        var der = pki.leaf.derBytes
        let start = try #require(Self.range(of: spki, in: der)).upperBound - 1
        der[start] ^= 0x01  // the last byte of y
        let (fast, _) = try Self.bothWays(der)
        #expect(!fast.keyBuiltFromFields)
        #expect(throws: CryptoError.self) { try fast.publicKey }
    }

    @Test func aCurveOutsideTheFastPathGoesThroughD2I() throws {
        let pki = try CertificateTests.makePKI()
        // prime256v1 (1.2.840.10045.3.1.7) becomes prime192v1 (…3.1.1): same length, another curve.
        let prime256v1: [UInt8] = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]
        var der = pki.leaf.derBytes
        let oid = try #require(Self.range(of: prime256v1, in: der))
        der[oid.upperBound - 1] = 0x01
        let (fast, _) = try Self.bothWays(der)
        #expect(!fast.keyBuiltFromFields)
        #expect(throws: CryptoError.self) { try fast.publicKey }
    }

    @Test func truncatedAndTrailingInputIsRejectedAsBefore() throws {
        let der = try CertificateTests.makePKI().leaf.derBytes
        #expect(throws: CryptoError.self) { try Certificate(derBytes: Array(der.dropLast())) }
        #expect(throws: CryptoError.self) { try Certificate(derBytes: der + [0]) }
    }

    static func range(of needle: [UInt8], in haystack: [UInt8]) -> Range<Int>? {
        guard needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count)
        where haystack[start..<start + needle.count].elementsEqual(needle) {
            return start..<start + needle.count
        }
        return nil
    }
}
