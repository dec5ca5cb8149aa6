import AnchorageTestSupport
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

/// A PKI/ + Profiles/ configuration in the CONTRACT §3.3 format, in a fresh temporary directory.
///
/// Anchors: `rsa-root` (root-rsa + its CRL), `ec-root` (root-ec), `disabled` (root-rsa again, disabled).
/// Profiles: `web` (web-reader, ops-only, denied), `disabled-profile`, `session-name`
/// (acceptRoleSessionName). Roles: `web-reader`, `ops-only` (OU must be "ops"), `denied` (explicit
/// Deny), `not-in-profile` (defined, listed by no profile).
///
/// Written by the `anchorage` admin commands (so through the one writer of the format, and with no product
/// module in this target), once per test process; every configuration is a copy of that one.
struct TestConfiguration: Sendable {
    let root: URL
    var pki: URL { root.appendingPathComponent("PKI") }
    var profiles: URL { root.appendingPathComponent("Profiles") }

    static func write(pki fixtures: FixturePKI) async throws -> TestConfiguration {
        try await Template.shared.configuration(fixtures).copy()
    }

    /// The configuration the others copy, made on first use.
    private actor Template {
        static let shared = Template()
        private var made: Task<TestConfiguration, any Error>?

        func configuration(_ fixtures: FixturePKI) async throws -> TestConfiguration {
            if made == nil { made = Task { try await TestConfiguration.make(fixtures) } }
            return try await made!.value
        }
    }

    private static func make(_ fixtures: FixturePKI) async throws -> TestConfiguration {
        let config = TestConfiguration(
            root: URL(fileURLWithPath: NSTemporaryDirectory())
                .appendingPathComponent("anchorage-e2e-config-\(UUID().uuidString)"))
        try FileManager.default.createDirectory(at: config.root, withIntermediateDirectories: true)
        func admin(_ arguments: [String]) async throws {
            let result = try await anchorageCommand(arguments, configuration: config)
            guard result.status == 0 else { throw TestFailure("writing the configuration: \(result.summary)") }
        }
        func anchor(_ name: String, arn: String, certificate: String, disabled: Bool = false) async throws {
            try await admin(
                ["trust-anchor", "add", name, "--certificates", fixtures.certificate(certificate).path, "--arn", arn]
                    + (disabled ? ["--disabled"] : []))
        }
        try await anchor("rsa-root", arn: ARNs.rsaRootAnchor, certificate: "root-rsa")
        try await admin(["crl", "import", "rsa-root", fixtures.crl("root-rsa").path, "--name", "root-rsa.crl"])
        try await anchor("ec-root", arn: ARNs.ecRootAnchor, certificate: "root-ec")
        try await anchor("disabled", arn: ARNs.disabledAnchor, certificate: "root-rsa", disabled: true)

        let anyAnchor = "ArnLike:aws:SourceArn=arn:aws:rolesanywhere:us-east-1:\(ARNs.account):trust-anchor/*"
        for (name, ou) in [("web-reader", "web"), ("ops-only", "ops"), ("not-in-profile", "web")] {
            try await admin([
                "role", "create", name, "--account-id", ARNs.account, "--condition", anyAnchor,
                "--condition", "StringEquals:aws:PrincipalTag/x509Subject/OU=\(ou)",
            ])
        }
        // An Allow (any anchor) and an explicit Deny of the same actions: the policy document is the command's input.
        let policyFile = config.root.appendingPathComponent("denied-policy.json")
        try writeJSON(
            [
                "Version": "2012-10-17",
                "Statement": [
                    [
                        "Effect": "Allow", "Principal": ["Service": "rolesanywhere.amazonaws.com"],
                        "Action": trustActions,
                        "Condition": [
                            "ArnLike": [
                                "aws:SourceArn": "arn:aws:rolesanywhere:us-east-1:\(ARNs.account):trust-anchor/*"
                            ]
                        ],
                    ],
                    [
                        "Effect": "Deny", "Principal": ["Service": "rolesanywhere.amazonaws.com"],
                        "Action": trustActions,
                    ],
                ],
            ], to: policyFile)
        try await admin(["role", "create", "denied", "--account-id", ARNs.account, "--policy-file", policyFile.path])
        try FileManager.default.removeItem(at: policyFile)

        try await admin([
            "profile", "create", "web", "--arn", ARNs.webProfile, "--role", "web-reader", "--role", "ops-only",
            "--role", "denied",
        ])
        try await admin([
            "profile", "create", "disabled-profile", "--arn", ARNs.disabledProfile, "--role", "web-reader",
            "--disabled",
        ])
        try await admin([
            "profile", "create", "session-name", "--arn", ARNs.sessionNameProfile, "--role", "web-reader",
            "--accept-role-session-name",
        ])
        return config
    }

    static let trustActions = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]

    /// Writes `object` as JSON, for what the admin commands do not write: policy documents they read, and
    /// configuration files broken on purpose.
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
