import AnchorageCore
import AnchorageCrypto

/// A root CA, an intermediate under it, and workload leaves under the intermediate, at a fixed time; and
/// in-memory configurations of anchors, profiles and roles spread over accounts and regions.
struct BoundaryFixture: Sendable {
    /// 2026-11-25T03:04:05Z.
    static let now: Int64 = 1_795_575_845
    static let actions = CreateSessionService.requiredActions

    let rootKey: PrivateKey
    let root: Certificate
    let intermediateKey: PrivateKey
    let intermediate: Certificate

    /// Built once: key generation is the slow part.
    static let shared: BoundaryFixture = try! BoundaryFixture()

    private init() throws {
        rootKey = try PrivateKey.generate(.ecP256)
        var rootBuilder = CertificateBuilder(
            subject: [("O", "Boundary Tests"), ("CN", "Boundary Root")], notBefore: Self.now - 86400,
            notAfter: Self.now + 86400 * 365)
        rootBuilder.isCA = true
        rootBuilder.keyUsage = "keyCertSign,cRLSign"
        rootBuilder.serialNumber = [0x10, 0x01]
        root = try rootBuilder.issue(for: rootKey, issuer: nil, issuerKey: rootKey)

        intermediateKey = try PrivateKey.generate(.ecP256)
        var intermediateBuilder = CertificateBuilder(
            subject: [("O", "Boundary Tests"), ("CN", "Boundary Issuing CA")], notBefore: Self.now - 86400,
            notAfter: Self.now + 86400 * 180)
        intermediateBuilder.isCA = true
        intermediateBuilder.keyUsage = "keyCertSign,cRLSign"
        intermediateBuilder.serialNumber = [0x20, 0x02]
        intermediate = try intermediateBuilder.issue(for: intermediateKey, issuer: root, issuerKey: rootKey)
    }

    /// A workload leaf under the intermediate.
    func leaf(cn: String, ou: String = "web", serial: [UInt8]) throws -> Workload {
        let key = try PrivateKey.generate(.ecP256)
        var builder = CertificateBuilder(
            subject: [("O", "Boundary Tests"), ("OU", ou), ("CN", cn)], notBefore: Self.now - 3600,
            notAfter: Self.now + 86400)
        builder.keyUsage = "digitalSignature"
        builder.serialNumber = serial
        return Workload(
            key: key, certificate: try builder.issue(for: key, issuer: intermediate, issuerKey: intermediateKey))
    }

    struct Workload: Sendable {
        var key: PrivateKey
        var certificate: Certificate
    }

    // MARK: - Configuration

    static func anchorArn(account: String, region: String, id: String = "4a1c52e0-7d6b-4b7e-9a55-0e6f4c3b9d21")
        -> String
    {
        "arn:aws:rolesanywhere:\(region):\(account):trust-anchor/\(id)"
    }

    static func profileArn(account: String, region: String, id: String = "8f0e2a3b-1c4d-4e5f-8a9b-0c1d2e3f4a5b")
        -> String
    {
        "arn:aws:rolesanywhere:\(region):\(account):profile/\(id)"
    }

    static func roleArn(account: String, name: String) -> String { "arn:aws:iam::\(account):role/\(name)" }

    func anchor(_ arn: String, enabled: Bool = true) throws -> TrustAnchor {
        try TrustAnchor(name: "anchor", arn: ARN(arn)!, enabled: enabled, certificates: [root], revocationLists: [])
    }

    static func profile(_ arn: String, roles: [String], enabled: Bool = true) -> Profile {
        Profile(name: "profile", arn: ARN(arn)!, enabled: enabled, roleArns: roles, durationSeconds: 3600)
    }

    static func role(_ arn: String, policy: String) throws -> Role {
        Role(arn: ARN(arn)!, maxSessionDuration: 3600, trustPolicy: try PolicyDocument(json: JSONParser.parse(policy)))
    }

    /// A trust policy of one Allow statement for Roles Anywhere with `conditions` (a JSON object's members).
    static func policy(allow conditions: String, deny: String? = nil) -> String {
        var statements = [
            #"{"Effect": "Allow", "Principal": {"Service": "rolesanywhere.amazonaws.com"}, "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"], "Condition": {\#(conditions)}}"#
        ]
        if let deny {
            statements.append(
                #"{"Effect": "Deny", "Principal": {"Service": "rolesanywhere.amazonaws.com"}, "Action": "sts:*", "Condition": {\#(deny)}}"#
            )
        }
        return #"{"Version": "2012-10-17", "Statement": [\#(statements.joined(separator: ", "))]}"#
    }

    // MARK: - Requests

    /// A `POST /sessions` for `workload`, signed as AWS's helper signs it, with the intermediate in the chain.
    func signedRequest(
        _ workload: Workload, trustAnchorArn: String, profileArn: String, roleArn: String, region: String? = nil,
        now: Int64 = BoundaryFixture.now
    ) throws -> SignedRequest {
        let body = Array(
            #"{"profileArn":"\#(profileArn)","roleArn":"\#(roleArn)","trustAnchorArn":"\#(trustAnchorArn)"}"#.utf8)
        let amzDate = AmzDate(secondsSinceEpoch: now)!
        var headers: [(name: String, value: String)] = [
            ("Content-Type", "application/json"), ("Host", "anchorage.test"), ("X-Amz-Date", amzDate.string),
            ("X-Amz-X509", Base64.encode(workload.certificate.derBytes)),
            ("X-Amz-X509-Chain", Base64.encode(intermediate.derBytes)),
        ]
        let signedHeaders = headers.map { $0.name.lowercased() }.sorted()
        let scope = CredentialScope(
            date: amzDate.datePart, region: region ?? ARN(trustAnchorArn)!.region, service: "rolesanywhere")
        let algorithm = "AWS4-X509-ECDSA-SHA256"
        let stringToSign = X509RequestSigner.canonicalRequestAndStringToSign(
            method: "POST", rawPath: "/sessions", rawQuery: nil, headers: headers, signedHeaders: signedHeaders,
            body: body, algorithm: algorithm, amzDate: amzDate.string, scope: scope
        ).stringToSign
        let signature = try workload.key.signSHA256(Array(stringToSign.utf8))
        headers.append(
            (
                "Authorization",
                "\(algorithm) Credential=\(workload.certificate.serialNumberDecimal)/\(scope.string), "
                    + "SignedHeaders=\(signedHeaders.joined(separator: ";")), Signature=\(Hex.encode(signature))"
            ))
        return SignedRequest(
            method: "POST", rawPath: "/sessions", rawQuery: nil, headers: headers, body: body,
            sourceAddress: "203.0.113.7")
    }

    /// The same request as `anchorage explain` sees it: the certificate and parameters, no signature.
    func sessionRequest(_ workload: Workload, trustAnchorArn: String, profileArn: String, roleArn: String)
        -> SessionRequest
    {
        SessionRequest(
            certificate: workload.certificate, chain: [intermediate], trustAnchorArn: trustAnchorArn,
            profileArn: profileArn, roleArn: roleArn, sourceAddress: "203.0.113.7")
    }
}
