import AnchorageCrypto
import Dispatch
import Testing

@Suite struct CertificateCacheTests {
    static let now = CertificateTests.now

    @Test func aCertificateIsParsedOnceAndSharedByDigest() throws {
        let pki = try CertificateTests.makePKI()
        let cache = CertificateCache(capacity: 64)
        let first = try cache.certificate(derBytes: pki.leaf.derBytes)
        let second = try cache.certificate(base64: Base64.encode(pki.leaf.derBytes))
        #expect(first === second)
        #expect(first.digest == CertificateDigest(sha256Of: pki.leaf.derBytes))
        #expect(first.sha256Fingerprint == Digest.sha256Hex(pki.leaf.derBytes))
        #expect(cache.count == 1)
    }

    @Test func base64IsAsStrictAsBase64Decode() throws {
        let pki = try CertificateTests.makePKI()
        let cache = CertificateCache(capacity: 64)
        let good = Base64.encode(pki.leaf.derBytes)
        #expect(try cache.certificate(base64: good) != nil)
        for bad in [good + "=", String(good.dropLast()), "!" + good.dropFirst(), "====", "A===", "AB=A"] {
            #expect(Base64.decode(bad) == nil)
            #expect(try cache.certificate(base64: bad) == nil, "\(bad.prefix(8))")
        }
        for text in ["", "AA==", "AAA=", "AAAA", "+/+/"] {
            #expect(Base64.decode(text) != nil)
            // Valid base64 but not a certificate: a parse error, not a base64 error.
            #expect(throws: CryptoError.self) { try cache.certificate(base64: text) }
        }
    }

    @Test func theCacheIsBounded() throws {
        let key = try PrivateKey.generate(.ecP256)
        let cache = CertificateCache(capacity: 16, shards: 2)
        for index in 0..<64 {
            var builder = CertificateBuilder(
                subject: [("CN", "leaf \(index)")], notBefore: Self.now, notAfter: Self.now + 60)
            builder.keyUsage = "digitalSignature"
            let certificate = try builder.issue(for: key, issuer: nil, issuerKey: key)
            _ = try cache.certificate(derBytes: certificate.derBytes)
        }
        #expect(cache.count <= 16)
    }

    @Test func concurrentLookupsFromSeveralThreads() throws {
        let pki = try CertificateTests.makePKI()
        let cache = CertificateCache(capacity: 8, shards: 1)
        let ders = [pki.leaf.derBytes, pki.root.derBytes]
        DispatchQueue.concurrentPerform(iterations: 200) { index in
            let certificate = try? cache.certificate(derBytes: ders[index % 2])
            #expect(certificate?.derBytes == ders[index % 2])
        }
    }

    @Test func aCachedPathStillChecksTimeAndRevocationPerCall() throws {
        let pki = try CertificateTests.makePKI()
        var crlBuilder = CertificateRevocationListBuilder(thisUpdate: Self.now - 60, nextUpdate: Self.now + 3600)
        crlBuilder.revokedSerials = [[0x77]]
        let unrelatedCRL = try crlBuilder.issue(issuer: pki.root, issuerKey: pki.rootKey)
        let store = try TrustStore(anchors: [pki.root], revocationLists: [unrelatedCRL])
        for _ in 0..<3 {
            guard case .trusted(let path) = store.buildPath(leaf: pki.leaf, untrusted: [], at: Self.now) else {
                Issue.record("expected a trusted path")
                return
            }
            #expect(path.count == 2)
        }
        // The leaf is valid from now - 60 to now + 3600: the cached path must not outlive it.
        guard case .failure(.expired, 0) = store.buildPath(leaf: pki.leaf, untrusted: [], at: Self.now + 3601) else {
            Issue.record("expected expired")
            return
        }
        guard case .failure(.notYetValid, 0) = store.buildPath(leaf: pki.leaf, untrusted: [], at: Self.now - 120) else {
            Issue.record("expected not yet valid")
            return
        }
        #expect(CertificateCacheTests.isTrusted(store.buildPath(leaf: pki.leaf, untrusted: [], at: Self.now + 10)))

        // A store with a CRL listing the leaf (a new configuration generation) refuses it every time.
        crlBuilder.revokedSerials = [pki.leaf.serialNumberBytes]
        let revoking = try crlBuilder.issue(issuer: pki.root, issuerKey: pki.rootKey)
        let revokingStore = try TrustStore(anchors: [pki.root], revocationLists: [revoking])
        for _ in 0..<3 {
            guard case .failure(.revoked, 0) = revokingStore.buildPath(leaf: pki.leaf, untrusted: [], at: Self.now)
            else {
                Issue.record("expected revoked")
                return
            }
        }
    }

    static func isTrusted(_ result: PathResult) -> Bool {
        if case .trusted = result { return true }
        return false
    }
}
