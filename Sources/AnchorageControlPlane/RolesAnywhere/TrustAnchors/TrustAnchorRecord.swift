import AnchorageConfig
import AnchorageCore
import Foundation

/// A trust anchor as `PKI/trust-anchors/<directory>/` holds it: `anchor.json` (with the API's extensions) and
/// `certificates.pem`.
struct TrustAnchorRecord {
    var directory: String
    var json: JSONValue
    var arn: ARN
    var enabled: Bool
    var metadata: ResourceMetadata
    /// The settings an admin configured (the defaults fill the rest, ``NotificationSetting/effective(_:)``).
    var notificationSettings: [NotificationSetting]
    var certificatesPEM: String

    /// The id: the UUID in the ARN.
    var id: String { arn.resourceName }
    /// The API's name, or the directory name for an anchor made without one.
    var name: String { metadata.name ?? directory }

    /// `anchor.json` with this record's state.
    var anchorFile: ConfigurationWriter.File {
        var document = json.setting("enabled", to: .bool(enabled))
        document = metadata.applied(to: document)
        if case .object(var members) = document {
            members.removeAll { $0.key == "notificationSettings" }
            if !notificationSettings.isEmpty {
                members.append(
                    JSONMember(key: "notificationSettings", value: .array(notificationSettings.map(\.json))))
            }
            document = .object(members)
        }
        return ConfigurationWriter.document(
            .pki, ConfigurationWriter.trustAnchorDirectory(directory) + "/anchor.json", document)
    }

    /// The model's `TrustAnchorDetail`.
    var detail: JSONValue {
        var members: [JSONMember] = [
            JSONMember(key: "trustAnchorId", value: .string(id)),
            JSONMember(key: "trustAnchorArn", value: .string(arn.description)),
            JSONMember(key: "name", value: .string(name)),
            JSONMember(
                key: "source",
                value: .object([
                    "sourceType": .string("CERTIFICATE_BUNDLE"),
                    "sourceData": .object(["x509CertificateData": .string(certificatesPEM)]),
                ])),
            JSONMember(key: "enabled", value: .bool(enabled)),
        ]
        members += RolesAnywhereJSON.timestamps(metadata)
        members.append(
            JSONMember(
                key: "notificationSettings",
                value: .array(NotificationSetting.effective(notificationSettings).map(\.json))))
        return .object(members)
    }
}

extension TrustAnchorRecord {
    /// Reads the anchor in `root/directory`; nil when it is not readable as one (the loader reports why).
    init?(directory: String, root: String) {
        let path = root + "/" + directory
        guard let json = RolesAnywhereStore.readJSON(path + "/anchor.json"),
            let arn = json["trustAnchorArn"]?.stringValue.flatMap(ARN.init), let enabled = json["enabled"]?.boolValue,
            let pem = FileManager.default.contents(atPath: path + "/certificates.pem")
        else { return nil }
        var issues: [SchemaError] = []
        self.directory = directory
        self.json = json
        self.arn = arn
        self.enabled = enabled
        self.metadata = ResourceMetadata.parse(json, issues: &issues)
        self.notificationSettings =
            json["notificationSettings"].flatMap {
                try? NotificationSetting.parseList($0, path: "$.notificationSettings", configuredBy: nil)
            } ?? []
        self.certificatesPEM = String(decoding: pem, as: UTF8.self)
    }
}
