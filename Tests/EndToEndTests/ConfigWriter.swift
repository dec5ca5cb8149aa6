import Foundation

/// ARNs of the end-to-end configuration (account 123456789012, region us-east-1).
enum ARNs {
    static let account = "123456789012"
    static func trustAnchor(_ id: String) -> String { "arn:aws:rolesanywhere:us-east-1:\(account):trust-anchor/\(id)" }
    static func profile(_ id: String) -> String { "arn:aws:rolesanywhere:us-east-1:\(account):profile/\(id)" }
    static func role(_ name: String) -> String { "arn:aws:iam::\(account):role/\(name)" }

    static let rsaRootAnchor = trustAnchor("4a1c52e0-7d6b-4b7e-9a55-0e6f4c3b9d21")
    static let ecRootAnchor = trustAnchor("5b2d63f1-8e7c-4c8f-8b66-1f7a5d4cae32")
    static let disabledAnchor = trustAnchor("6c3e7402-9f8d-4d90-9c77-2a8b6e5dbf43")

    static let webProfile = profile("8f0e2a3b-1c4d-4e5f-8a9b-0c1d2e3f4a5b")
    static let disabledProfile = profile("9a1f3b4c-2d5e-4f60-9bac-1d2e3f4a5b6c")
    static let sessionNameProfile = profile("ab203c5d-3e6f-4071-8cbd-2e3f4a5b6c7d")

    static let webReader = role("web-reader")
    static let opsOnly = role("ops-only")
    static let denied = role("denied")
    static let notInProfile = role("not-in-profile")
}

/// A PKI/ + Profiles/ configuration in the CONTRACT §3.3 format, written to a fresh temporary directory.
///
/// Anchors: `rsa-root` (root-rsa + its CRL), `ec-root` (root-ec), `disabled` (root-rsa again, disabled).
/// Profiles: `web` (web-reader, ops-only, denied), `disabled-profile`, `session-name`
/// (acceptRoleSessionName). Roles: `web-reader`, `ops-only` (OU must be "ops"), `denied` (explicit
/// Deny), `not-in-profile` (defined, listed by no profile).
struct TestConfiguration: Sendable {
    let root: URL
    var pki: URL { root.appendingPathComponent("PKI") }
    var profiles: URL { root.appendingPathComponent("Profiles") }

    static func write(pki fixtures: FixturePKI, into root: URL? = nil) throws -> TestConfiguration {
        let root =
            root
            ?? URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("anchorage-e2e-config-\(UUID().uuidString)")
        let config = TestConfiguration(root: root)
        let fm = FileManager.default

        func anchor(_ name: String, arn: String, enabled: Bool, certificates: [String], crls: [String]) throws {
            let dir = config.pki.appendingPathComponent("trust-anchors/\(name)")
            try fm.createDirectory(at: dir.appendingPathComponent("crls"), withIntermediateDirectories: true)
            try writeJSON(["trustAnchorArn": arn, "enabled": enabled], to: dir.appendingPathComponent("anchor.json"))
            let bundle = try certificates.map { try String(contentsOf: fixtures.certificate($0), encoding: .utf8) }
            try bundle.joined().write(
                to: dir.appendingPathComponent("certificates.pem"), atomically: true, encoding: .utf8)
            for crl in crls {
                try fm.copyItem(at: fixtures.crl(crl), to: dir.appendingPathComponent("crls/\(crl).crl.pem"))
            }
        }
        try anchor("rsa-root", arn: ARNs.rsaRootAnchor, enabled: true, certificates: ["root-rsa"], crls: ["root-rsa"])
        try anchor("ec-root", arn: ARNs.ecRootAnchor, enabled: true, certificates: ["root-ec"], crls: [])
        try anchor("disabled", arn: ARNs.disabledAnchor, enabled: false, certificates: ["root-rsa"], crls: [])

        try fm.createDirectory(at: config.profiles.appendingPathComponent("roles"), withIntermediateDirectories: true)
        func profile(_ name: String, arn: String, enabled: Bool, roles: [String], acceptRoleSessionName: Bool) throws {
            try writeJSON(
                [
                    "profileArn": arn,
                    "enabled": enabled,
                    "roleArns": roles,
                    "durationSeconds": 3600,
                    "acceptRoleSessionName": acceptRoleSessionName,
                    "sessionPolicy": NSNull(),
                    "managedPolicyArns": [String](),
                    "attributeMappings": NSNull(),
                ],
                to: config.profiles.appendingPathComponent("\(name).json"))
        }
        try profile(
            "web", arn: ARNs.webProfile, enabled: true,
            roles: [ARNs.webReader, ARNs.opsOnly, ARNs.denied], acceptRoleSessionName: false)
        try profile(
            "disabled-profile", arn: ARNs.disabledProfile, enabled: false,
            roles: [ARNs.webReader], acceptRoleSessionName: false)
        try profile(
            "session-name", arn: ARNs.sessionNameProfile, enabled: true,
            roles: [ARNs.webReader], acceptRoleSessionName: true)

        try role("web-reader", statements: [allow(ou: "web")], to: config)
        try role("ops-only", statements: [allow(ou: "ops")], to: config)
        try role("denied", statements: [allow(ou: nil), deny()], to: config)
        try role("not-in-profile", statements: [allow(ou: "web")], to: config)
        return config
    }

    static let trustActions = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]

    static func allow(ou: String?) -> [String: Any] {
        var condition: [String: Any] = [
            "ArnLike": ["aws:SourceArn": "arn:aws:rolesanywhere:us-east-1:\(ARNs.account):trust-anchor/*"]
        ]
        if let ou { condition["StringEquals"] = ["aws:PrincipalTag/x509Subject/OU": ou] }
        return [
            "Effect": "Allow",
            "Principal": ["Service": "rolesanywhere.amazonaws.com"],
            "Action": trustActions,
            "Condition": condition,
        ]
    }

    static func deny() -> [String: Any] {
        [
            "Effect": "Deny",
            "Principal": ["Service": "rolesanywhere.amazonaws.com"],
            "Action": trustActions,
        ]
    }

    static func role(_ name: String, statements: [[String: Any]], to config: TestConfiguration) throws {
        try writeJSON(
            [
                "Arn": ARNs.role(name),
                "MaxSessionDuration": 3600,
                "AssumeRolePolicyDocument": ["Version": "2012-10-17", "Statement": statements],
            ],
            to: config.profiles.appendingPathComponent("roles/\(name).json"))
    }

    static func writeJSON(_ object: Any, to url: URL) throws {
        let data = try JSONSerialization.data(
            withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try (data + Data("\n".utf8)).write(to: url)
    }

    /// A full copy of this configuration in a new temporary directory (for tests that break it).
    func copy() throws -> TestConfiguration {
        let dest = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("anchorage-e2e-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dest, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: pki, to: dest.appendingPathComponent("PKI"))
        try FileManager.default.copyItem(at: profiles, to: dest.appendingPathComponent("Profiles"))
        return TestConfiguration(root: dest)
    }
}
