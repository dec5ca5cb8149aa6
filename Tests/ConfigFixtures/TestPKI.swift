public import AnchorageCrypto

/// A CA and workload leaves, issued in-process (AnchorageCrypto's builders): the unit suites' PKI builder.
public struct TestPKI: Sendable {
    public let caKey: PrivateKey
    public let ca: Certificate
    /// A second, unrelated CA (the second trust anchor; the "other key" for forged CRLs).
    public let otherCAKey: PrivateKey
    public let otherCA: Certificate
    /// OU=web: allowed by the fixture role's trust policy.
    public let webKey: PrivateKey
    public let webLeaf: Certificate
    /// OU=db: refused by the fixture role's trust policy.
    public let dbKey: PrivateKey
    public let dbLeaf: Certificate

    /// Built once: key generation and issuance are the slow part of this target.
    public static let shared: TestPKI = try! TestPKI()

    private init() throws {
        (caKey, ca) = try Self.makeCA(name: "Anchorage Test CA")
        (otherCAKey, otherCA) = try Self.makeCA(name: "Other Test CA")
        (webKey, webLeaf) = try Self.makeLeaf(ou: "web", serial: [0x01, 0x23], issuer: ca, issuerKey: caKey)
        (dbKey, dbLeaf) = try Self.makeLeaf(ou: "db", serial: [0x04, 0x56], issuer: ca, issuerKey: caKey)
    }

    public static func makeCA(name: String) throws -> (PrivateKey, Certificate) {
        let key = try PrivateKey.generate(.ecP256)
        var builder = CertificateBuilder(
            subject: [("O", "Anchorage Tests"), ("CN", name)], notBefore: testNow - 86400,
            notAfter: testNow + 86400 * 365)
        builder.isCA = true
        builder.keyUsage = "keyCertSign,cRLSign"
        return (key, try builder.issue(for: key, issuer: nil, issuerKey: key))
    }

    public static func makeLeaf(ou: String, serial: [UInt8], issuer: Certificate, issuerKey: PrivateKey) throws
        -> (PrivateKey, Certificate)
    {
        let key = try PrivateKey.generate(.ecP256)
        var builder = CertificateBuilder(
            subject: [("O", "Anchorage Tests"), ("OU", ou), ("CN", "\(ou)-workload")], notBefore: testNow - 3600,
            notAfter: testNow + 86400)
        builder.keyUsage = "digitalSignature"
        builder.serialNumber = serial
        return (key, try builder.issue(for: key, issuer: issuer, issuerKey: issuerKey))
    }
}
