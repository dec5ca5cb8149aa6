import AnchorageConfig
import AnchorageCore
import Foundation

/// A CRL as a trust anchor's `crls/` directory holds it (``CRLFiles``): the data file (`NAME.pem`, in force, or
/// `NAME.pem.disabled`) and its optional sidecar `NAME.json` with the API's metadata.
struct CRLRecord {
    var anchor: TrustAnchorRecord
    var stem: String
    var dataFileName: String
    var enabled: Bool
    var arn: String
    var metadata: ResourceMetadata
    var bytes: [UInt8]

    var id: String { ARN(arn)?.resourceName ?? "" }
    var name: String { metadata.name ?? stem }

    /// `trust-anchors/<anchor>/crls`, under `PKI/`.
    var directory: String { ConfigurationWriter.trustAnchorDirectory(anchor.directory) + "/crls" }

    /// The data file's name when in force (`enabled`) or not.
    func dataFileName(enabled: Bool) -> String {
        let inForce =
            dataFileName.hasSuffix(CRLFiles.disabledSuffix)
            ? String(dataFileName.dropLast(CRLFiles.disabledSuffix.count)) : dataFileName
        return enabled ? inForce : inForce + CRLFiles.disabledSuffix
    }

    /// The sidecar with this record's metadata.
    var sidecarFile: ConfigurationWriter.File {
        ConfigurationWriter.document(
            .pki, directory + "/\(stem)\(CRLFiles.sidecarExtension)",
            metadata.applied(to: .object(["crlArn": .string(arn)])))
    }

    /// The model's `CrlDetail` (`crlData` base64, as a blob is on the wire).
    var detail: JSONValue {
        var members: [JSONMember] = [
            JSONMember(key: "crlId", value: .string(id)), JSONMember(key: "crlArn", value: .string(arn)),
            JSONMember(key: "name", value: .string(name)), JSONMember(key: "enabled", value: .bool(enabled)),
            JSONMember(key: "crlData", value: .string(Data(bytes).base64EncodedString())),
            JSONMember(key: "trustAnchorArn", value: .string(anchor.arn.description)),
        ]
        members += RolesAnywhereJSON.timestamps(metadata)
        return .object(members)
    }
}

extension CRLRecord {
    /// Reads the CRL whose data file is `fileName` in `crlDirectory`; nil for any other file.
    init?(anchor: TrustAnchorRecord, fileName: String, crlDirectory: String) {
        guard let (stem, enabled) = CRLFiles.dataFile(fileName),
            let data = FileManager.default.contents(atPath: crlDirectory + "/" + fileName)
        else { return nil }
        let sidecar = RolesAnywhereStore.readJSON(crlDirectory + "/\(stem)\(CRLFiles.sidecarExtension)")
        var issues: [SchemaError] = []
        let anchorArn = anchor.arn
        let arn =
            sidecar?["crlArn"]?.stringValue
            ?? "arn:\(anchorArn.partition):rolesanywhere:\(anchorArn.region):\(anchorArn.account):crl/"
            + CRLFiles.derivedId(anchorArn: anchorArn.description, stem: stem)
        self.init(
            anchor: anchor, stem: stem, dataFileName: fileName, enabled: enabled, arn: arn,
            metadata: sidecar.map { ResourceMetadata.parse($0, issues: &issues) } ?? ResourceMetadata(),
            bytes: [UInt8](data))
    }
}
