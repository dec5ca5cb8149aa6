import AnchorageConfig
import AnchorageCore
import AnchorageCrypto
import Foundation

/// ARNs of the benchmark configuration (account 123456789012, region us-east-1).
enum BenchmarkARNs {
    static let account = "123456789012"
    static func id(_ kind: Int, _ index: Int) -> String {
        String(format: "%08x-0000-4000-8000-%012x", kind, index)
    }
    static func trustAnchor(_ index: Int) -> String {
        "arn:aws:rolesanywhere:us-east-1:\(account):trust-anchor/\(id(1, index))"
    }
    static func profile(_ index: Int) -> String { "arn:aws:rolesanywhere:us-east-1:\(account):profile/\(id(2, index))" }
    static func role(_ index: Int) -> String { "arn:aws:iam::\(account):role/bench-role-\(index)" }
    static let unlistedRole = "arn:aws:iam::\(account):role/unlisted"
}

/// The three ARNs a request names.
struct Target: Sendable {
    var trustAnchorArn: String
    var profileArn: String
    var roleArn: String
}

/// A PKI/ + Profiles/ directory pair in the contract format (PKI/README.md, Profiles/README.md).
///
/// `anchors` trust anchors (the benchmark root with its CRL is number `anchors / 2`; the others are
/// distinct CAs of their own), `profiles` profiles each listing two roles, `roles` roles whose trust
/// policy requires `OU=bench` and a trust-anchor source ARN, plus one role no profile lists.
struct BenchmarkConfiguration {
    let root: URL
    let target: Target
    let unlistedTarget: Target
    var pki: URL { root.appendingPathComponent("PKI") }
    var profiles: URL { root.appendingPathComponent("Profiles") }
    var benchAnchorName: String { "anchor-\(target.anchorIndex)" }
    /// A throwaway tree: written unsynced.
    var writer: ConfigurationWriter {
        ConfigurationWriter(pkiDirectory: pki.path, profilesDirectory: profiles.path, synced: false)
    }

    static func write(
        pki: BenchmarkPKI, anchors: Int, profiles: Int, roles: Int, into root: URL, threads: Int
    ) throws -> BenchmarkConfiguration {
        let fm = FileManager.default
        try? fm.removeItem(at: root)
        let benchAnchor = anchors / 2
        let benchProfile = profiles / 2
        let benchRole = roles / 2

        // Other anchors: distinct CA certificates sharing one key (the key is irrelevant to the load).
        let otherKey = try PrivateKey.generate(.ecP256)
        let pems = ResultSlots<String>(anchors)
        let now = pki.now
        parallelFor(anchors, threads: threads) { index in
            if index == benchAnchor { return }
            var builder = CertificateBuilder(
                subject: [("O", "Anchorage Benchmark"), ("CN", "Scale CA \(index)")], notBefore: now - 86_400,
                notAfter: now + 10 * 86_400)
            builder.isCA = true
            builder.keyUsage = "keyCertSign,cRLSign"
            pems[index] = try? builder.issue(for: otherKey, issuer: nil, issuerKey: otherKey).pemString
        }
        let writer = ConfigurationWriter(
            pkiDirectory: root.appendingPathComponent("PKI").path,
            profilesDirectory: root.appendingPathComponent("Profiles").path, synced: false)
        for index in 0..<anchors {
            let pem: String
            var crls: [(name: String, pem: String)] = []
            if index == benchAnchor {
                pem = pki.root.pemString
                crls = [("root.crl", pki.crl.pemString)]
            } else {
                guard let other = pems[index] else { throw BenchmarkError("cannot issue scale CA \(index)") }
                pem = other
            }
            try writer.addTrustAnchor(
                name: "anchor-\(index)", arn: BenchmarkARNs.trustAnchor(index), certificatesPEM: pem, crls: crls)
        }

        for index in 0..<profiles {
            let listed = [BenchmarkARNs.role(2 * index % roles), BenchmarkARNs.role((2 * index + 1) % roles)]
            try writer.writeProfile(
                ProfileDocument(
                    name: "profile-\(index)", arn: BenchmarkARNs.profile(index),
                    roleArns: index == benchProfile ? [BenchmarkARNs.role(benchRole)] : listed))
        }
        let policy = RoleDocument.policy([
            RoleDocument.rolesAnywhereStatement(
                condition: .object([
                    "ArnLike": .object([
                        "aws:SourceArn": .string(
                            "arn:aws:rolesanywhere:us-east-1:\(BenchmarkARNs.account):trust-anchor/*")
                    ]),
                    "StringEquals": .object(["aws:PrincipalTag/x509Subject/OU": .string("bench")]),
                ]))
        ])
        for index in 0..<roles {
            try writer.writeRole(
                RoleDocument(arn: BenchmarkARNs.role(index), maxSessionDuration: 43200, trustPolicy: policy))
        }
        try writer.writeRole(RoleDocument(arn: BenchmarkARNs.unlistedRole, trustPolicy: policy))

        let target = Target(
            trustAnchorArn: BenchmarkARNs.trustAnchor(benchAnchor), profileArn: BenchmarkARNs.profile(benchProfile),
            roleArn: BenchmarkARNs.role(benchRole))
        var unlisted = target
        unlisted.roleArn = BenchmarkARNs.unlistedRole
        return BenchmarkConfiguration(root: root, target: target, unlistedTarget: unlisted)
    }
}

extension Target {
    /// The index encoded in the anchor ARN's id (see ``BenchmarkARNs/id(_:_:)``).
    var anchorIndex: Int { Int(trustAnchorArn.split(separator: "-").last ?? "", radix: 16) ?? 0 }
}
