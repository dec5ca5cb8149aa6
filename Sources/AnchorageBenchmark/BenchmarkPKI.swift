import AnchorageCrypto
import Foundation

/// A certificate with the key that signs requests for it.
struct Identity: @unchecked Sendable {
    let certificate: Certificate
    let key: PrivateKey
    /// Intermediates sent in `X-Amz-X509-Chain`, nearest first.
    var chain: [Certificate] = []
}

/// The in-process PKI: a P-256 root (the trust anchor, with a CRL), an intermediate, and leaves.
///
/// Leaves carry `OU=bench`, which the roles' trust policies require.
final class BenchmarkPKI: @unchecked Sendable {
    let now = Int64(Date().timeIntervalSince1970)
    let rootKey: PrivateKey
    let root: Certificate
    let intermediateKey: PrivateKey
    let intermediate: Certificate
    let serverKey: PrivateKey
    let server: Certificate
    let leafEC: Identity
    let leafRSA: Identity
    let leafViaIntermediate: Identity
    let revoked: Identity
    /// Issued by a CA that no anchor trusts.
    let foreign: Identity
    let crl: CertificateRevocationList

    init() throws {
        rootKey = try PrivateKey.generate(.ecP256)
        var rootBuilder = CertificateBuilder(
            subject: [("O", "Anchorage Benchmark"), ("CN", "Benchmark Root")], notBefore: now - 86_400,
            notAfter: now + 10 * 86_400)
        rootBuilder.isCA = true
        rootBuilder.keyUsage = "keyCertSign,cRLSign"
        root = try rootBuilder.issue(for: rootKey, issuer: nil, issuerKey: rootKey)

        intermediateKey = try PrivateKey.generate(.ecP256)
        var intermediateBuilder = CertificateBuilder(
            subject: [("O", "Anchorage Benchmark"), ("CN", "Benchmark Intermediate")], notBefore: now - 86_400,
            notAfter: now + 10 * 86_400)
        intermediateBuilder.isCA = true
        intermediateBuilder.pathLength = 0
        intermediateBuilder.keyUsage = "keyCertSign,cRLSign"
        intermediate = try intermediateBuilder.issue(for: intermediateKey, issuer: root, issuerKey: rootKey)

        serverKey = try PrivateKey.generate(.ecP256)
        var serverBuilder = CertificateBuilder(
            subject: [("CN", "localhost")], notBefore: now - 86_400, notAfter: now + 10 * 86_400)
        serverBuilder.keyUsage = "digitalSignature"
        serverBuilder.extendedKeyUsage = "serverAuth"
        serverBuilder.subjectAlternativeName = "DNS:localhost,IP:127.0.0.1"
        server = try serverBuilder.issue(for: serverKey, issuer: root, issuerKey: rootKey)

        leafEC = try Self.leaf("bench-ec", key: .ecP256, issuer: root, issuerKey: rootKey, now: now)
        leafRSA = try Self.leaf("bench-rsa", key: .rsa(bits: 2048), issuer: root, issuerKey: rootKey, now: now)
        var viaIntermediate = try Self.leaf(
            "bench-ec-int", key: .ecP256, issuer: intermediate, issuerKey: intermediateKey, now: now)
        viaIntermediate.chain = [intermediate]
        leafViaIntermediate = viaIntermediate
        revoked = try Self.leaf("bench-revoked", key: .ecP256, issuer: root, issuerKey: rootKey, now: now)

        let foreignKey = try PrivateKey.generate(.ecP256)
        var foreignBuilder = CertificateBuilder(
            subject: [("CN", "Foreign Root")], notBefore: now - 86_400, notAfter: now + 10 * 86_400)
        foreignBuilder.isCA = true
        foreignBuilder.keyUsage = "keyCertSign,cRLSign"
        let foreignRoot = try foreignBuilder.issue(for: foreignKey, issuer: nil, issuerKey: foreignKey)
        foreign = try Self.leaf("bench-foreign", key: .ecP256, issuer: foreignRoot, issuerKey: foreignKey, now: now)

        // A CRL of realistic size: the revoked leaf among 200 other serials.
        var crlBuilder = CertificateRevocationListBuilder(thisUpdate: now - 3600, nextUpdate: now + 7 * 86_400)
        crlBuilder.revokedSerials = (0..<200).map { _ in Self.randomSerial() } + [revoked.certificate.serialNumberBytes]
        crl = try crlBuilder.issue(issuer: root, issuerKey: rootKey)
    }

    static func randomSerial() -> [UInt8] {
        var serial = SecureRandom.bytes(16)
        serial[0] &= 0x7F
        return serial
    }

    static func leaf(
        _ name: String, key algorithm: PrivateKey.Algorithm, issuer: Certificate, issuerKey: PrivateKey, now: Int64,
        notAfter: Int64? = nil, organizationalUnit: String = "bench"
    ) throws -> Identity {
        let key = try PrivateKey.generate(algorithm)
        return Identity(
            certificate: try leafCertificate(
                name, key: key, issuer: issuer, issuerKey: issuerKey, now: now, notAfter: notAfter,
                organizationalUnit: organizationalUnit),
            key: key)
    }

    static func leafCertificate(
        _ name: String, key: PrivateKey, issuer: Certificate, issuerKey: PrivateKey, now: Int64, notAfter: Int64? = nil,
        organizationalUnit: String = "bench"
    ) throws -> Certificate {
        var builder = CertificateBuilder(
            subject: [("O", "Anchorage Benchmark"), ("OU", organizationalUnit), ("CN", name)], notBefore: now - 3600,
            notAfter: notAfter ?? now + 5 * 86_400)
        builder.keyUsage = "digitalSignature"
        builder.extendedKeyUsage = "clientAuth"
        return try builder.issue(for: key, issuer: issuer, issuerKey: issuerKey)
    }

    /// `count` fresh leaves (distinct certificates, one shared key) for the never-seen-before case.
    func freshLeaves(_ count: Int, threads: Int) throws -> [Identity] {
        let key = try PrivateKey.generate(.ecP256)
        let results = ResultSlots<Certificate>(count)
        let (root, rootKey, now) = (self.root, self.rootKey, self.now)
        parallelFor(count, threads: threads) { index in
            results[index] = try? Self.leafCertificate(
                "fresh-\(index)", key: key, issuer: root, issuerKey: rootKey, now: now)
        }
        return try results.values.map { certificate in
            guard let certificate else { throw BenchmarkError("cannot issue a fresh leaf") }
            return Identity(certificate: certificate, key: key)
        }
    }
}

/// Fixed-size result array written by index from several threads (each index by one thread only).
final class ResultSlots<T>: @unchecked Sendable {
    private var storage: [T?]
    init(_ count: Int) { storage = Array(repeating: nil, count: count) }
    subscript(index: Int) -> T? {
        get { storage[index] }
        set { storage[index] = newValue }
    }
    var values: [T?] { storage }
}

/// Runs `body(0..<count)` on `threads` threads, interleaved, and waits.
func parallelFor(_ count: Int, threads: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    let threadCount = max(1, min(threads, count))
    for t in 0..<threadCount {
        group.enter()
        let thread = Thread {
            var index = t
            while index < count {
                body(index)
                index += threadCount
            }
            group.leave()
        }
        thread.stackSize = 4 << 20
        thread.start()
    }
    group.wait()
}

struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
