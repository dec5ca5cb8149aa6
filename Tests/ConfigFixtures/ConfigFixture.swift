public import AnchorageConfig
public import AnchorageCore
import AnchorageCrypto
public import AnchorageTestSupport

/// A valid `PKI/` + `Profiles/` tree in a temporary directory, which a test then breaks. The `…JSON` texts
/// are for the tests that write a file by hand on purpose: broken, or shaped as the writer never writes it.
///
/// PKI/trust-anchors/main    (enabled, the test CA)       PKI/trust-anchors/second (disabled, the other CA)
/// Profiles/web.json         (every key written)          Profiles/minimal.json    (optional keys omitted)
/// Profiles/roles/web-reader.json (trust policy: OU=web)
public final class ConfigFixture: @unchecked Sendable {
    public let directory = TemporaryDirectory()
    public let pki = TestPKI.shared

    public var root: String { directory.path }
    public var pkiDirectory: String { directory.url("PKI") }
    public var profilesDirectory: String { directory.url("Profiles") }
    public var loader: ConfigurationLoader {
        ConfigurationLoader(pkiDirectory: pkiDirectory, profilesDirectory: profilesDirectory)
    }

    public static let mainAnchor = "PKI/trust-anchors/main/anchor.json"
    public static let mainCertificates = "PKI/trust-anchors/main/certificates.pem"
    public static let secondAnchor = "PKI/trust-anchors/second/anchor.json"
    public static let secondCertificates = "PKI/trust-anchors/second/certificates.pem"
    public static let webProfile = "Profiles/web.json"
    public static let minimalProfile = "Profiles/minimal.json"
    public static let role = "Profiles/roles/web-reader.json"

    public static func anchorJSON(arn: String = anchorArn, enabled: String = "true", extra: String = "") -> String {
        #"{"trustAnchorArn": "\#(arn)", "enabled": \#(enabled)\#(extra)}"#
    }

    public static func profileJSON(
        arn: String = profileArn, roleArns: String = #"["\#(roleArn)"]"#, durationSeconds: String = "1800",
        extra: String = ""
    ) -> String {
        #"""
        {
          "profileArn": "\#(arn)",
          "enabled": true,
          "roleArns": \#(roleArns),
          "durationSeconds": \#(durationSeconds),
          "acceptRoleSessionName": true,
          "sessionPolicy": null,
          "managedPolicyArns": [],
          "attributeMappings": null\#(extra)
        }
        """#
    }

    public static let minimalProfileJSON =
        #"{"profileArn": "\#(minimalProfileArn)", "enabled": false, "roleArns": ["\#(roleArn)"]}"#

    public static func policyJSON(effect: String = "Allow", ou: String = "web") -> String {
        #"""
        {
            "Version": "2012-10-17",
            "Statement": [{
              "Effect": "\#(effect)",
              "Principal": {"Service": "rolesanywhere.amazonaws.com"},
              "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
              "Condition": {
                "ArnEquals": {"aws:SourceArn": "\#(anchorArn)"},
                "StringEquals": {"aws:PrincipalTag/x509Subject/OU": "\#(ou)"}
              }
            }]
          }
        """#
    }

    public static func roleJSON(
        arn: String = roleArn, maxSessionDuration: String = "3600", policy: String = policyJSON(), extra: String = ""
    ) -> String {
        #"""
        {
          "Arn": "\#(arn)",
          "MaxSessionDuration": \#(maxSessionDuration),
          "AssumeRolePolicyDocument": \#(policy)\#(extra)
        }
        """#
    }

    /// Writes the tree with ``ConfigurationWriter``, except `minimal.json`: the writer writes every key, and that
    /// file is there to test the loader's defaults for the keys left out.
    public init() throws {
        try writer.addTrustAnchor(name: "main", arn: anchorArn, certificatesPEM: pki.ca.pemString)
        try writer.addTrustAnchor(
            name: "second", arn: secondAnchorArn, enabled: false, certificatesPEM: pki.otherCA.pemString)
        try writer.writeProfile(Self.web())
        try write(Self.minimalProfile, Self.minimalProfileJSON)
        try writer.writeRole(RoleDocument(arn: roleArn, trustPolicy: Self.policy()))
    }

    /// Writes this tree (unsynced: it is thrown away).
    public var writer: ConfigurationWriter {
        ConfigurationWriter(pkiDirectory: pkiDirectory, profilesDirectory: profilesDirectory, synced: false)
    }

    /// `web.json`: every key written.
    public static func web(durationSeconds: Int = 1800) -> ProfileDocument {
        ProfileDocument(
            name: "web", arn: profileArn, roleArns: [roleArn], durationSeconds: durationSeconds,
            acceptRoleSessionName: true)
    }

    /// The fixture role's trust policy: ``policyJSON(effect:ou:)`` as a document.
    public static func policy(effect: String = "Allow", ou: String = "web") -> JSONValue {
        RoleDocument.policy([
            RoleDocument.rolesAnywhereStatement(
                effect: effect,
                condition: .object([
                    "ArnEquals": .object(["aws:SourceArn": .string(anchorArn)]),
                    "StringEquals": .object(["aws:PrincipalTag/x509Subject/OU": .string(ou)]),
                ]))
        ])
    }

    public func write(_ relative: String, _ text: String) throws { try directory.write(relative, text) }
    public func write(_ relative: String, _ bytes: [UInt8]) throws { try directory.write(relative, bytes) }
    public func url(_ relative: String) -> String { directory.url(relative) }
}
