import AnchorageConfig
import AnchorageCore
import AnchorageCrypto
import Foundation

/// `serve --dev`: a throwaway CA, server certificate, workload certificate, trust anchor, profile and role
/// under `.anchorage-dev/`, generated through OpenSSL's library and reused on later runs. The server
/// certificate names localhost, 127.0.0.1 and ::1: clients connect there whatever `--listen` binds.
enum DevEnvironment {
    static let region = "us-east-1"
    static let account = "123456789012"
    static let trustAnchorArn =
        "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/0d3e5a3c-7c1b-4e6f-9a2d-5b8c1f0e4d7a"
    static let profileArn = "arn:aws:rolesanywhere:us-east-1:123456789012:profile/6f2b9c1e-3d4a-4b5c-8e7f-0a1b2c3d4e5f"
    static let roleArn = "arn:aws:iam::123456789012:role/dev-reader"
    /// The admin profile and role: the same workload certificate, through a second profile, gets a session of a
    /// role whose identity policy allows the whole control plane (``adminPolicy``).
    static let adminProfileArn =
        "arn:aws:rolesanywhere:us-east-1:123456789012:profile/9a4c7e21-5b3d-4f60-8c1e-2d7f0b6a9e35"
    static let adminRoleArn = "arn:aws:iam::123456789012:role/dev-admin"

    /// `rolesanywhere:*` and `iam:*`; the account limit is the control plane's own rule (a caller never reaches
    /// another account's resources), and `*` also covers the list calls, which act on no resource.
    static let adminPolicy: JSONValue = .object([
        JSONMember(key: "Version", value: .string("2012-10-17")),
        JSONMember(
            key: "Statement",
            value: .array([
                .object([
                    JSONMember(key: "Sid", value: .string("AdministerRolesAnywhereAndIAM")),
                    JSONMember(key: "Effect", value: .string("Allow")),
                    JSONMember(key: "Action", value: .array([.string("rolesanywhere:*"), .string("iam:*")])),
                    JSONMember(key: "Resource", value: .string("*")),
                ])
            ])),
    ])

    struct Prepared {
        var options: ServeCommand.Options
        /// Once bound: writes `aws-config` for the address and returns the instructions to print.
        var announce: @Sendable (_ host: String, _ port: Int) -> String
    }

    /// `listen` defaults to 127.0.0.1:8443, `stateDirectory` to `.anchorage-dev/state`.
    static func prepare(
        in workingDirectory: String, listen: (host: String, port: Int)? = nil, stateDirectory: String? = nil
    ) throws -> Prepared {
        let root = workingDirectory + "/.anchorage-dev"
        let keys = root + "/keys"
        let fm = FileManager.default
        if !fm.fileExists(atPath: root + "/.complete") {
            try? fm.removeItem(atPath: root)
            try fm.createDirectory(
                atPath: keys, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try generate(root: root, keys: keys)
            _ = fm.createFile(atPath: root + "/.complete", contents: Data())
        }
        // Added to trees generated before the control plane existed, so a re-run gains the admin too.
        if !fm.fileExists(atPath: root + "/Profiles/roles/dev-admin.json") {
            try writeAdmin(ConfigurationWriter(pkiDirectory: root + "/PKI", profilesDirectory: root + "/Profiles"))
        }
        var options = ServeCommand.Options(stateDirectory: stateDirectory ?? root + "/state")
        options.pkiDirectory = root + "/PKI"
        options.profilesDirectory = root + "/Profiles"
        options.tlsCertificate = root + "/server.pem"
        options.tlsPrivateKey = keys + "/server-key.pem"
        options.port = 8443
        if let listen { (options.host, options.port) = listen }
        let helper = helperPath()
        let helperExists = fm.isExecutableFile(atPath: helper)
        return Prepared(options: options) { host, port in
            let endpoint = clientAddress(host: host, port: port)
            // Rewritten at every start: it names the helper binary, which may move between builds, and the
            // port, which --listen may choose.
            var note = ""
            do {
                try write(
                    """
                    [profile anchorage-dev]
                    region = \(region)
                    ca_bundle = \(root)/ca.pem
                    credential_process = \(helper) credential-process --certificate \(root)/workload.pem --private-key \(keys)/workload-key.pem --trust-anchor-arn \(trustAnchorArn) --profile-arn \(profileArn) --role-arn \(roleArn) --endpoint https://\(endpoint) --ca-bundle \(root)/ca.pem

                    [profile anchorage-dev-admin]
                    region = \(region)
                    ca_bundle = \(root)/ca.pem
                    credential_process = \(helper) credential-process --certificate \(root)/workload.pem --private-key \(keys)/workload-key.pem --trust-anchor-arn \(trustAnchorArn) --profile-arn \(adminProfileArn) --role-arn \(adminRoleArn) --endpoint https://\(endpoint) --ca-bundle \(root)/ca.pem

                    """, root + "/aws-config")
            } catch {
                note = "\n(warning: cannot write \(root)/aws-config: \(error))"
            }
            return instructions(root: ".anchorage-dev", helper: helper, helperExists: helperExists, endpoint: endpoint)
                + note
        }
    }

    /// Where a client on this machine connects: the address bound, or loopback when every address is.
    static func clientAddress(host: String, port: Int) -> String {
        switch host {
        case "0.0.0.0", "": return "127.0.0.1:\(port)"
        case "::": return "[::1]:\(port)"
        default: return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
    }

    private static func generate(root: String, keys: String) throws {
        let now = SystemClock().seconds
        let caKey = try PrivateKey.generate(.ecP256)
        var caBuilder = CertificateBuilder(
            subject: [("O", "Anchorage Dev"), ("CN", "Anchorage Dev Root CA")], notBefore: now - 3600,
            notAfter: now + 10 * 365 * 86400)
        caBuilder.isCA = true
        caBuilder.keyUsage = "keyCertSign,cRLSign"
        let ca = try caBuilder.issue(for: caKey, issuer: nil, issuerKey: caKey)

        let serverKey = try PrivateKey.generate(.ecP256)
        var serverBuilder = CertificateBuilder(
            subject: [("O", "Anchorage Dev"), ("CN", "localhost")], notBefore: now - 3600, notAfter: now + 365 * 86400)
        serverBuilder.keyUsage = "digitalSignature"
        serverBuilder.extendedKeyUsage = "serverAuth"
        serverBuilder.subjectAlternativeName = "DNS:localhost,IP:127.0.0.1,IP:::1"
        let server = try serverBuilder.issue(for: serverKey, issuer: ca, issuerKey: caKey)

        let workloadKey = try PrivateKey.generate(.ecP256)
        var workloadBuilder = CertificateBuilder(
            subject: [("O", "Anchorage Dev"), ("OU", "dev"), ("CN", "dev-workload")], notBefore: now - 3600,
            notAfter: now + 365 * 86400)
        workloadBuilder.keyUsage = "digitalSignature"
        workloadBuilder.extendedKeyUsage = "clientAuth"
        workloadBuilder.subjectAlternativeName =
            "DNS:dev-workload.anchorage.test,URI:spiffe://anchorage.test/dev-workload"
        let workload = try workloadBuilder.issue(for: workloadKey, issuer: ca, issuerKey: caKey)

        try write(ca.pemString, root + "/ca.pem")
        try write(server.pemString + ca.pemString, root + "/server.pem")
        try write(workload.pemString, root + "/workload.pem")
        try SecureFile.write(try caKey.pkcs8PEM, to: keys + "/ca-key.pem", mode: 0o600)
        try SecureFile.write(try serverKey.pkcs8PEM, to: keys + "/server-key.pem", mode: 0o600)
        try SecureFile.write(try workloadKey.pkcs8PEM, to: keys + "/workload-key.pem", mode: 0o600)

        let writer = ConfigurationWriter(pkiDirectory: root + "/PKI", profilesDirectory: root + "/Profiles")
        try writer.addTrustAnchor(name: "dev", arn: trustAnchorArn, certificatesPEM: ca.pemString)
        try writer.writeProfile(
            ProfileDocument(name: "dev", arn: profileArn, roleArns: [roleArn], acceptRoleSessionName: true))
        try writer.writeRole(
            RoleDocument(
                arn: roleArn, maxSessionDuration: 43200,
                trustPolicy: RoleDocument.policy([
                    RoleDocument.rolesAnywhereStatement(
                        condition: .object([
                            "ArnEquals": .object(["aws:SourceArn": .string(trustAnchorArn)]),
                            "StringEquals": .object(["aws:PrincipalTag/x509Subject/OU": .string("dev")]),
                        ]))
                ])))
    }

    /// The admin profile and role (see ``adminRoleArn``): trusted like the reader (the dev anchor, OU `dev`).
    private static func writeAdmin(_ writer: ConfigurationWriter) throws {
        try writer.writeRole(
            RoleDocument(
                arn: adminRoleArn, maxSessionDuration: 3600, description: "serve --dev: administers the control plane",
                trustPolicy: RoleDocument.policy([
                    RoleDocument.rolesAnywhereStatement(
                        condition: .object([
                            "ArnEquals": .object(["aws:SourceArn": .string(trustAnchorArn)]),
                            "StringEquals": .object(["aws:PrincipalTag/x509Subject/OU": .string("dev")]),
                        ]))
                ]), inlinePolicies: [.init(name: "dev-admin", document: adminPolicy)]))
        try writer.writeProfile(ProfileDocument(name: "dev-admin", arn: adminProfileArn, roleArns: [adminRoleArn]))
    }

    private static func write(_ text: String, _ path: String) throws {
        try SecureFile.write(Array(text.utf8), to: path, mode: 0o644)
    }

    /// `anchorage-helper` beside the running `anchorage` (both are built into the same directory).
    private static func helperPath() -> String {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        if executable.path.contains("/") && FileManager.default.fileExists(atPath: executable.path) {
            return executable.deletingLastPathComponent().appendingPathComponent("anchorage-helper").path
        }
        return "anchorage-helper"
    }

    private static func instructions(root: String, helper: String, helperExists: Bool, endpoint: String) -> String {
        let session =
            "from iam_rolesanywhere_session import IAMRolesAnywhereSession as S; "
            + "c = S(trust_anchor_arn=\"\(trustAnchorArn)\", profile_arn=\"\(profileArn)\", role_arn=\"\(roleArn)\", "
            + "certificate=\"\(root)/workload.pem\", private_key=\"\(root)/keys/workload-key.pem\", "
            + "region=\"\(region)\", endpoint=\"\(endpoint)\", verify=\"\(root)/ca.pem\")"
            + ".get_session().get_credentials().get_frozen_credentials(); "
        let python = session + "print(c.access_key, c.token[:16] + \"...\")"
        // Base64 keys and tokens contain no character the shell would interpret, so the exports need no quoting.
        let exports =
            session
            + "print(\"export AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_SESSION_TOKEN=%s\" "
            + "% (c.access_key, c.secret_key, c.token))"
        return """
            Anchorage development service (throwaway PKI in \(root)/; private keys in \(root)/keys/)
              trust anchor  \(trustAnchorArn)
              profile       \(profileArn)
              role          \(roleArn)
              workload      \(root)/workload.pem (key \(root)/keys/workload-key.pem)
              server CA     \(root)/ca.pem

            The AWS CLI through anchorage-helper as credential_process (profile in \(root)/aws-config):
              \(helperExists ? "" : "swift build --product anchorage-helper && ")AWS_CONFIG_FILE=\(root)/aws-config AWS_CA_BUNDLE=\(root)/ca.pem aws sts get-caller-identity --profile anchorage-dev --endpoint-url https://\(endpoint)

            Get credentials with the published Python client (pip install iam-rolesanywhere-session):
              python3 -c '\(python)'

            Verify them with STS GetCallerIdentity and the AWS CLI (pip install awscli):
              eval "$(python3 -c '\(exports)')"
              AWS_CA_BUNDLE=\(root)/ca.pem AWS_DEFAULT_REGION=\(region) aws sts get-caller-identity --endpoint-url https://\(endpoint)

            Administer it with the AWS CLI, as the admin role \(adminRoleArn)
            (profile anchorage-dev-admin, same workload certificate):
              \(helperExists ? "" : "swift build --product anchorage-helper && ")AWS_CONFIG_FILE=\(root)/aws-config AWS_CA_BUNDLE=\(root)/ca.pem aws rolesanywhere list-trust-anchors --profile anchorage-dev-admin --endpoint-url https://\(endpoint)
              AWS_CONFIG_FILE=\(root)/aws-config AWS_CA_BUNDLE=\(root)/ca.pem aws iam list-roles --profile anchorage-dev-admin --endpoint-url https://\(endpoint)
            """
    }
}
