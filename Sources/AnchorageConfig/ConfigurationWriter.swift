public import AnchorageCore
public import AnchorageCrypto
import Foundation

/// The one writer of `PKI/` and `Profiles/` (contract §3.3): trust anchors (`anchor.json`, `certificates.pem`,
/// `crls/`), profiles (`Profiles/<name>.json`, AWS's ProfileDetail shape), roles (`Profiles/roles/<RoleName>.json`)
/// and `PKI/revocations.json`, each written atomically (``AtomicFiles``).
///
/// The admin commands, `serve --dev`, the benchmark and the tests write through it, so what it writes is what
/// ``ConfigurationLoader`` reads (the round trip is tested in `AnchorageConfigTests`). The static functions
/// only make a resource's files; the instance methods write them under the two directories.
public struct ConfigurationWriter: Sendable {
    /// Which configuration directory a path is relative to.
    public enum Root: Sendable, Equatable {
        case pki, profiles
    }

    /// One file of the configuration: its directory, its path relative to it, and its bytes.
    public struct File: Sendable, Equatable {
        public var root: Root
        public var path: String
        public var bytes: [UInt8]

        public init(root: Root, path: String, bytes: [UInt8]) {
            self.root = root
            self.path = path
            self.bytes = bytes
        }
    }

    public var pkiDirectory: String
    public var profilesDirectory: String
    /// Whether every write is fsynced with its directory; false only for throwaway trees (tests, the benchmark).
    public var synced: Bool

    public init(pkiDirectory: String, profilesDirectory: String, synced: Bool = true) {
        self.pkiDirectory = pkiDirectory
        self.profilesDirectory = profilesDirectory
        self.synced = synced
    }

    /// The directory `root` names.
    public func directory(_ root: Root) -> String { root == .pki ? pkiDirectory : profilesDirectory }

    /// `relative` under `root`.
    public func path(_ root: Root, _ relative: String) -> String { directory(root) + "/" + relative }

    // MARK: - Writing

    /// Creates or replaces `file` atomically, creating its parent directories.
    public func write(_ file: File) throws(ConfigurationWriteError) {
        let target = path(file.root, file.path)
        try AtomicFiles.makeDirectories((target as NSString).deletingLastPathComponent, synced: synced)
        try AtomicFiles.write(file.bytes, to: target, synced: synced)
    }

    /// Creates `PKI/trust-anchors/<name>/` with its files in one step (built under a hidden name, then
    /// renamed into place); refuses an existing anchor directory.
    public func addTrustAnchor(
        name: String, arn: String, enabled: Bool = true, certificatesPEM: String,
        crls: [(name: String, pem: String)] = []
    ) throws(ConfigurationWriteError) {
        try AtomicFiles.createDirectory(
            path(.pki, Self.trustAnchorDirectory(name)),
            files: Self.trustAnchorFiles(arn: arn, enabled: enabled, certificatesPEM: certificatesPEM, crls: crls),
            synced: synced)
    }

    public func writeProfile(_ profile: ProfileDocument) throws(ConfigurationWriteError) {
        try write(Self.profileFile(profile))
    }

    public func writeRole(_ role: RoleDocument) throws(ConfigurationWriteError) { try write(Self.roleFile(role)) }

    public func writeRevocations(_ list: RevocationList) throws(ConfigurationWriteError) {
        try write(Self.revocationsFile(list))
    }

    // MARK: - The files of each resource

    /// `trust-anchors/<name>`, under `PKI/`.
    public static func trustAnchorDirectory(_ name: String) -> String { "trust-anchors/\(name)" }

    /// The files of a trust anchor's directory: `anchor.json`, `certificates.pem` and `crls/<name>.pem`.
    public static func trustAnchorFiles(
        arn: String, enabled: Bool, certificatesPEM: String, crls: [(name: String, pem: String)] = []
    ) -> [(name: String, bytes: [UInt8])] {
        [
            ("anchor.json", PrettyJSON.bytes(anchorDocument(arn: arn, enabled: enabled))),
            ("certificates.pem", Array(certificatesPEM.utf8)),
        ] + crls.map { ("crls/\($0.name).pem", Array($0.pem.utf8)) }
    }

    /// `PKI/trust-anchors/<name>/anchor.json`.
    public static func anchorFile(name: String, arn: String, enabled: Bool) -> File {
        document(.pki, trustAnchorDirectory(name) + "/anchor.json", anchorDocument(arn: arn, enabled: enabled))
    }

    /// The `anchor.json` object: `trustAnchorArn` and `enabled`.
    public static func anchorDocument(arn: String, enabled: Bool) -> JSONValue {
        .object(["trustAnchorArn": .string(arn), "enabled": .bool(enabled)])
    }

    /// The PEM text of a certificate bundle, as `certificates.pem` holds it.
    public static func certificatesPEM(_ certificates: [Certificate]) -> String {
        certificates.map(\.pemString).joined()
    }

    /// `PKI/trust-anchors/<anchor>/crls/<name>.pem` holding `lists` as PEM.
    public static func crlFile(anchor: String, name: String, _ lists: [CertificateRevocationList]) -> File {
        File(
            root: .pki, path: trustAnchorDirectory(anchor) + "/crls/\(name).pem",
            bytes: Array(lists.map(\.pemString).joined().utf8))
    }

    /// `Profiles/<name>.json`.
    public static func profileFile(_ profile: ProfileDocument) -> File {
        document(.profiles, "\(profile.name).json", profile.json)
    }

    /// `Profiles/roles/<RoleName>.json` (the loader requires the file to be named after the ARN's role name).
    public static func roleFile(_ role: RoleDocument) -> File {
        document(.profiles, "roles/\(role.name).json", role.json)
    }

    /// `Profiles/upstreams/<name>.json`: `Endpoint`, `Region`, `CredentialsFile`, `CABundle` and `TimeoutSeconds`
    /// when given. (The credentials file itself is the operator's: mode 0600, never written here.)
    public static func upstreamFile(
        name: String, endpoint: String, region: String, credentialsFile: String, caBundle: String? = nil,
        timeoutSeconds: Int? = nil
    ) -> File {
        var members = [
            JSONMember(key: "Endpoint", value: .string(endpoint)), JSONMember(key: "Region", value: .string(region)),
            JSONMember(key: "CredentialsFile", value: .string(credentialsFile)),
        ]
        if let caBundle { members.append(JSONMember(key: "CABundle", value: .string(caBundle))) }
        if let timeoutSeconds {
            members.append(JSONMember(key: "TimeoutSeconds", value: .number(String(timeoutSeconds))))
        }
        return document(.profiles, "upstreams/\(name).json", .object(members))
    }

    /// `PKI/revocations.json`: one line of compact JSON.
    public static func revocationsFile(_ list: RevocationList) -> File {
        File(root: .pki, path: "revocations.json", bytes: Array((JSONWriter.string(list.json) + "\n").utf8))
    }

    /// A JSON document of the configuration (an edited `anchor.json` or profile), indented as every
    /// configuration document is.
    public static func document(_ root: Root, _ path: String, _ json: JSONValue) -> File {
        File(root: root, path: path, bytes: PrettyJSON.bytes(json))
    }
}
