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
    var benchAnchorDirectory: URL { pki.appendingPathComponent("trust-anchors/anchor-\(target.anchorIndex)") }

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
        for index in 0..<anchors {
            let dir = root.appendingPathComponent("PKI/trust-anchors/anchor-\(index)")
            try fm.createDirectory(at: dir.appendingPathComponent("crls"), withIntermediateDirectories: true)
            try #"{"trustAnchorArn": "\#(BenchmarkARNs.trustAnchor(index))", "enabled": true}"#
                .write(to: dir.appendingPathComponent("anchor.json"), atomically: false, encoding: .utf8)
            let pem: String
            if index == benchAnchor {
                pem = pki.root.pemString
                try pki.crl.pemString.write(
                    to: dir.appendingPathComponent("crls/root.crl.pem"), atomically: false, encoding: .utf8)
            } else {
                guard let other = pems[index] else { throw BenchmarkError("cannot issue scale CA \(index)") }
                pem = other
            }
            try pem.write(to: dir.appendingPathComponent("certificates.pem"), atomically: false, encoding: .utf8)
        }

        let rolesDir = root.appendingPathComponent("Profiles/roles")
        try fm.createDirectory(at: rolesDir, withIntermediateDirectories: true)
        for index in 0..<profiles {
            let listed = [BenchmarkARNs.role(2 * index % roles), BenchmarkARNs.role((2 * index + 1) % roles)]
            let roleArns = (index == benchProfile ? [BenchmarkARNs.role(benchRole)] : listed)
                .map { "\"\($0)\"" }.joined(separator: ", ")
            let json = """
                {"profileArn": "\(BenchmarkARNs.profile(index))", "enabled": true, "roleArns": [\(roleArns)],
                 "durationSeconds": 3600, "acceptRoleSessionName": false, "sessionPolicy": null,
                 "managedPolicyArns": [], "attributeMappings": null}

                """
            try json.write(
                to: root.appendingPathComponent("Profiles/profile-\(index).json"), atomically: false, encoding: .utf8)
        }
        let policy = """
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
              "Principal": {"Service": "rolesanywhere.amazonaws.com"},
              "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
              "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:rolesanywhere:us-east-1:\(BenchmarkARNs.account):trust-anchor/*"},
                            "StringEquals": {"aws:PrincipalTag/x509Subject/OU": "bench"}}}]}
            """
        for index in 0..<roles {
            try
                #"{"Arn": "\#(BenchmarkARNs.role(index))", "MaxSessionDuration": 43200, "AssumeRolePolicyDocument": \#(policy)}"#
                .write(
                    to: rolesDir.appendingPathComponent("bench-role-\(index).json"), atomically: false, encoding: .utf8)
        }
        try
            #"{"Arn": "\#(BenchmarkARNs.unlistedRole)", "MaxSessionDuration": 3600, "AssumeRolePolicyDocument": \#(policy)}"#
            .write(to: rolesDir.appendingPathComponent("unlisted.json"), atomically: false, encoding: .utf8)

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
