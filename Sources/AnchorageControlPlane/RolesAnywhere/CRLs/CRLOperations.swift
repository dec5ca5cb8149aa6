import AnchorageConfig
import AnchorageCore
import AnchorageCrypto
import Foundation

/// ImportCrl, GetCrl, ListCrls, UpdateCrl, EnableCrl, DisableCrl and DeleteCrl, on the `crls/` directory of the
/// CRL's trust anchor. Enabling and disabling rename the data file in and out of force, atomically.
struct CRLOperations {
    let store: RolesAnywhereStore

    func importCRL(_ call: RolesAnywhereCall) throws(ControlPlaneError) -> RolesAnywhereResult {
        let body = try call.body()
        let name = try RolesAnywhereJSON.name(body, required: true) ?? ""
        let pem = try body.require("crlData", try Self.crlData(body))
        let anchorArn = try body.require("trustAnchorArn", try body.string("trustAnchorArn", length: 1...1011))
        guard let parsedAnchorArn = ARN(anchorArn), parsedAnchorArn.service == "rolesanywhere",
            parsedAnchorArn.hasResource(ofType: "trust-anchor")
        else { throw RolesAnywhereErrors.validation("trustAnchorArn", "must be a trust anchor ARN") }
        let enabled = try body.bool("enabled") ?? false
        let tags = try RolesAnywhereJSON.tags(body)
        let id = RolesAnywhereCall.newId()
        let arn = call.arn("crl", id)
        try call.authorize(arn, requestTags: tags)
        let detail = try store.mutate(field: { _ in "crlData" }) { () throws(ControlPlaneError) in
            guard let anchor = store.trustAnchors(for: call).first(where: { $0.arn.description == anchorArn }) else {
                throw RolesAnywhereErrors.validation(
                    "trustAnchorArn", "no such trust anchor in your account and region")
            }
            let directory = store.anchorsDirectory + "/" + anchor.directory + "/crls"
            let taken = Set(RolesAnywhereStore.list(directory).map { String($0.prefix { $0 != "." }) })
            let stem = RolesAnywhereStore.fileName(for: name, id: id, taken: taken)
            let record = CRLRecord(
                anchor: anchor, stem: stem, dataFileName: stem + ".pem", enabled: true, arn: arn,
                metadata: ResourceMetadata(name: name, createdAt: call.now, updatedAt: call.now, tags: tags ?? []),
                bytes: Array(pem.utf8))
            var written = record
            written.enabled = enabled
            written.dataFileName = record.dataFileName(enabled: enabled)
            // Data first, sidecar second: a crash in between leaves a CRL the loader accepts.
            let change = ConfigurationChange(
                summary: "importing CRL \(name)",
                operations: [
                    .writeFile(
                        ConfigurationWriter.File(
                            root: .pki, path: record.directory + "/" + written.dataFileName, bytes: record.bytes)),
                    .writeFile(record.sidecarFile),
                ])
            return (change, written.detail)
        }
        return .created(RolesAnywhereJSON.wrap("crl", detail))
    }

    func get(_ call: RolesAnywhereCall) throws(ControlPlaneError) -> RolesAnywhereResult {
        let record = try find(call)
        try call.authorize(record.arn, resourceTags: record.metadata.tags)
        return .ok(RolesAnywhereJSON.wrap("crl", record.detail))
    }

    func list(_ call: RolesAnywhereCall) throws(ControlPlaneError) -> RolesAnywhereResult {
        let pagination = try Pagination(query: call.query)
        try call.authorize("*")
        let page = pagination.page(store.crls(for: call), id: \.id)
        return .ok(RolesAnywhereJSON.page("crls", page.items.map(\.detail), nextToken: page.nextToken))
    }

    func update(_ call: RolesAnywhereCall) throws(ControlPlaneError) -> RolesAnywhereResult {
        let body = try call.body()
        let name = try RolesAnywhereJSON.name(body, required: false)
        let pem = try Self.crlData(body)
        return try edit(call, summary: "updating") { record in
            if let name { record.metadata.name = name }
            guard let pem else { return [] }
            record.bytes = Array(pem.utf8)
            return [
                .writeFile(
                    ConfigurationWriter.File(
                        root: .pki, path: record.directory + "/" + record.dataFileName, bytes: record.bytes))
            ]
        }
    }

    func setEnabled(_ call: RolesAnywhereCall, _ enabled: Bool) throws(ControlPlaneError) -> RolesAnywhereResult {
        try edit(call, summary: enabled ? "enabling" : "disabling") { record in
            guard record.enabled != enabled else { return [] }
            let from = record.dataFileName
            record.enabled = enabled
            record.dataFileName = record.dataFileName(enabled: enabled)
            return [
                .renameFile(.pki, from: record.directory + "/" + from, to: record.directory + "/" + record.dataFileName)
            ]
        }
    }

    func delete(_ call: RolesAnywhereCall) throws(ControlPlaneError) -> RolesAnywhereResult {
        let id = try call.resourceId("crlId")
        let detail = try store.mutate(field: { _ in "crlId" }) { () throws(ControlPlaneError) in
            let record = try find(call, id: id)
            try call.authorize(record.arn, resourceTags: record.metadata.tags)
            var operations: [ConfigurationChange.Operation] = []
            // Sidecar first, data second: a crash in between leaves a CRL the loader accepts.
            let sidecar = record.directory + "/\(record.stem)\(CRLFiles.sidecarExtension)"
            if FileManager.default.fileExists(atPath: store.pkiDirectory + "/" + sidecar) {
                operations.append(.removeFile(.pki, sidecar))
            }
            operations.append(.removeFile(.pki, record.directory + "/" + record.dataFileName))
            return (ConfigurationChange(summary: "deleting CRL \(record.name)", operations: operations), record.detail)
        }
        return .ok(RolesAnywhereJSON.wrap("crl", detail))
    }

    /// Reads the CRL under the lock, authorizes, lets `change` edit it (returning the data-file operations), then
    /// writes its sidecar with `updatedAt` now. Answers `{"crl": CrlDetail}`.
    private func edit(
        _ call: RolesAnywhereCall, summary: String,
        _ change: (inout CRLRecord) throws(ControlPlaneError) -> [ConfigurationChange.Operation]
    ) throws(ControlPlaneError) -> RolesAnywhereResult {
        let id = try call.resourceId("crlId")
        let detail = try store.mutate(field: { _ in "crlData" }) { () throws(ControlPlaneError) in
            var record = try find(call, id: id)
            try call.authorize(record.arn, resourceTags: record.metadata.tags)
            let operations = try change(&record)
            record.metadata.updatedAt = call.now
            return (
                ConfigurationChange(
                    summary: "\(summary) CRL \(record.name)", operations: operations + [.writeFile(record.sidecarFile)]),
                record.detail
            )
        }
        return .ok(RolesAnywhereJSON.wrap("crl", detail))
    }

    func find(_ call: RolesAnywhereCall, id: String? = nil) throws(ControlPlaneError) -> CRLRecord {
        let resolved: String
        if let id { resolved = id } else { resolved = try call.resourceId("crlId") }
        return try store.find(store.crls(for: call), id: resolved, type: "crl", what: "CRL", call: call, recordId: \.id)
    }

    /// `crlData`: a base64 blob of 1-300,000 bytes holding a PEM or DER CRL; returned as PEM text.
    static func crlData(_ body: RequestBody) throws(ControlPlaneError) -> String? {
        guard let encoded = try body.string("crlData") else { return nil }
        guard let data = Data(base64Encoded: encoded), (1...300_000).contains(data.count) else {
            throw RolesAnywhereErrors.validation("crlData", "must be base64 of 1-300000 bytes")
        }
        guard let lists = try? CertificateRevocationList.parse(fileBytes: [UInt8](data)), !lists.isEmpty else {
            throw RolesAnywhereErrors.validation("crlData", "is not an X.509 CRL (PEM or DER)")
        }
        return lists.map(\.pemString).joined()
    }
}
