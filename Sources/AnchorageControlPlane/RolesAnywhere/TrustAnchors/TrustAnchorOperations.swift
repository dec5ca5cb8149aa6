import AnchorageConfig
import AnchorageCore
import AnchorageCrypto

/// CreateTrustAnchor, GetTrustAnchor, ListTrustAnchors, UpdateTrustAnchor, EnableTrustAnchor, DisableTrustAnchor
/// and DeleteTrustAnchor, on `PKI/trust-anchors/<name>/`.
struct TrustAnchorOperations {
    let store: RolesAnywhereStore

    func create(_ call: RolesAnywhereCall) throws(ControlPlaneError) -> RolesAnywhereResult {
        let body = try call.body()
        let name = try RolesAnywhereJSON.name(body, required: true) ?? ""
        let pem = try Self.certificateBundle(body, required: true) ?? ""
        let enabled = try body.bool("enabled") ?? false
        let tags = try RolesAnywhereJSON.tags(body)
        let settings = try NotificationOperations.settings(body, configuredBy: call.caller.account) ?? []
        let id = RolesAnywhereCall.newId()
        let arn = call.arn("trust-anchor", id)
        try call.authorize(arn, requestTags: tags)
        let directory = try store.mutate(field: fieldOf) { () throws(ControlPlaneError) in
            let directory = RolesAnywhereStore.fileName(
                for: name, id: id, taken: Set(RolesAnywhereStore.list(store.anchorsDirectory)))
            let record = TrustAnchorRecord(
                directory: directory, json: ConfigurationWriter.anchorDocument(arn: arn, enabled: enabled),
                arn: ARN(arn)!, enabled: enabled,
                metadata: ResourceMetadata(name: name, createdAt: call.now, updatedAt: call.now, tags: tags ?? []),
                notificationSettings: settings, certificatesPEM: pem)
            let change = ConfigurationChange(
                summary: "creating trust anchor \(name)",
                operation: .addDirectory(
                    .pki, ConfigurationWriter.trustAnchorDirectory(directory),
                    [("anchor.json", record.anchorFile.bytes), ("certificates.pem", Array(pem.utf8))]))
            return (change, directory)
        }
        return .created(RolesAnywhereJSON.wrap("trustAnchor", try reread(directory)))
    }

    func get(_ call: RolesAnywhereCall) throws(ControlPlaneError) -> RolesAnywhereResult {
        let record = try find(call)
        try call.authorize(record.arn.description, resourceTags: record.metadata.tags)
        return .ok(RolesAnywhereJSON.wrap("trustAnchor", record.detail))
    }

    func list(_ call: RolesAnywhereCall) throws(ControlPlaneError) -> RolesAnywhereResult {
        let pagination = try Pagination(query: call.query)
        try call.authorize("*")
        let page = pagination.page(store.trustAnchors(for: call), id: \.id)
        return .ok(RolesAnywhereJSON.page("trustAnchors", page.items.map(\.detail), nextToken: page.nextToken))
    }

    func update(_ call: RolesAnywhereCall) throws(ControlPlaneError) -> RolesAnywhereResult {
        let body = try call.body()
        let name = try RolesAnywhereJSON.name(body, required: false)
        let pem = try Self.certificateBundle(body, required: false)
        return .ok(
            RolesAnywhereJSON.wrap(
                "trustAnchor",
                try edit(call, summary: "updating") { record in
                    if let name { record.metadata.name = name }
                    guard let pem else { return [] }
                    record.certificatesPEM = pem
                    return [
                        .writeFile(
                            ConfigurationWriter.File(
                                root: .pki,
                                path: ConfigurationWriter.trustAnchorDirectory(record.directory) + "/certificates.pem",
                                bytes: Array(pem.utf8)))
                    ]
                }))
    }

    func setEnabled(_ call: RolesAnywhereCall, _ enabled: Bool) throws(ControlPlaneError) -> RolesAnywhereResult {
        .ok(
            RolesAnywhereJSON.wrap(
                "trustAnchor",
                try edit(call, summary: enabled ? "enabling" : "disabling") { record in
                    record.enabled = enabled
                    return []
                }))
    }

    func delete(_ call: RolesAnywhereCall) throws(ControlPlaneError) -> RolesAnywhereResult {
        let id = try call.resourceId("trustAnchorId")
        let detail = try store.mutate(field: fieldOf) { () throws(ControlPlaneError) in
            let record = try find(call, id: id)
            try call.authorize(record.arn.description, resourceTags: record.metadata.tags)
            let change = ConfigurationChange(
                summary: "deleting trust anchor \(record.name)",
                operation: .removeDirectory(.pki, ConfigurationWriter.trustAnchorDirectory(record.directory)))
            return (change, record.detail)
        }
        return .ok(RolesAnywhereJSON.wrap("trustAnchor", detail))
    }

    /// Reads the anchor under the lock, authorizes, lets `change` edit it (returning any further file operations),
    /// then writes `anchor.json` with `updatedAt` now. Returns the new TrustAnchorDetail.
    func edit(
        _ call: RolesAnywhereCall, summary: String,
        _ change: (inout TrustAnchorRecord) throws(ControlPlaneError) -> [ConfigurationChange.Operation]
    ) throws(ControlPlaneError) -> JSONValue {
        let id = try call.resourceId("trustAnchorId")
        let directory = try store.mutate(field: fieldOf) { () throws(ControlPlaneError) in
            var record = try find(call, id: id)
            try call.authorize(record.arn.description, resourceTags: record.metadata.tags)
            let further = try change(&record)
            record.metadata.updatedAt = call.now
            let configurationChange = ConfigurationChange(
                summary: "\(summary) trust anchor \(record.name)", operations: further + [.writeFile(record.anchorFile)]
            )
            return (configurationChange, record.directory)
        }
        return try reread(directory)
    }

    /// The anchor the path names, in the caller's account and region.
    func find(_ call: RolesAnywhereCall, id: String? = nil) throws(ControlPlaneError) -> TrustAnchorRecord {
        let resolved: String
        if let id { resolved = id } else { resolved = try call.resourceId("trustAnchorId") }
        return try store.find(
            store.trustAnchors(for: call), id: resolved, type: "trust-anchor", what: "trust anchor", call: call,
            recordId: \.id)
    }

    private func reread(_ directory: String) throws(ControlPlaneError) -> JSONValue {
        guard let record = TrustAnchorRecord(directory: directory, root: store.anchorsDirectory) else {
            throw RolesAnywhereErrors.writeFailed("the written file does not read back")
        }
        return record.detail
    }

    /// A loader issue in an anchor's files, as the request member it is about.
    private func fieldOf(_ issue: ConfigurationIssue) -> String {
        issue.file.hasSuffix("certificates.pem")
            ? "source.sourceData.x509CertificateData" : RolesAnywhereStore.member(issue, fallback: "name")
    }

    /// The `source` of a create or update: only `CERTIFICATE_BUNDLE`, whose PEM certificates are returned as
    /// `certificates.pem` holds them. The AWS-only sources are refused by name.
    static func certificateBundle(_ body: RequestBody, required: Bool) throws(ControlPlaneError) -> String? {
        guard let source = body.value("source") else {
            if required { throw RolesAnywhereErrors.validation("source", "is required") }
            return nil
        }
        guard case .object = source else { throw RolesAnywhereErrors.validation("source", "must be an object") }
        guard let type = source["sourceType"]?.stringValue else {
            throw RolesAnywhereErrors.validation("source.sourceType", "is required (CERTIFICATE_BUNDLE)")
        }
        switch type {
        case "CERTIFICATE_BUNDLE":
            break
        case "AWS_ACM_PCA", "SELF_SIGNED_REPOSITORY":
            throw RolesAnywhereErrors.validation(
                "source.sourceType",
                "\(type) is not supported: it needs AWS Private CA; give the CA certificates as CERTIFICATE_BUNDLE")
        default:
            throw RolesAnywhereErrors.validation("source.sourceType", "must be CERTIFICATE_BUNDLE")
        }
        guard let data = source["sourceData"], case .object = data else {
            throw RolesAnywhereErrors.validation("source.sourceData", "is required, with x509CertificateData")
        }
        if data["acmPcaArn"] != nil {
            throw RolesAnywhereErrors.validation(
                "source.sourceData.acmPcaArn", "is not supported: AWS Private CA is not available here")
        }
        let field = "source.sourceData.x509CertificateData"
        guard let text = data["x509CertificateData"]?.stringValue else {
            throw RolesAnywhereErrors.validation(field, "is required")
        }
        guard (1...16000).contains(text.unicodeScalars.count) else {
            throw RolesAnywhereErrors.validation(field, "must be 1-16000 characters long")
        }
        guard let certificates = try? Certificate.parsePEMBundle(Array(text.utf8)), !certificates.isEmpty else {
            throw RolesAnywhereErrors.validation(field, "must be one or more PEM certificates")
        }
        return ConfigurationWriter.certificatesPEM(certificates)
    }
}
