import AnchorageConfig
import AnchorageCore

/// CreateProfile, GetProfile, ListProfiles, UpdateProfile, EnableProfile, DisableProfile, DeleteProfile,
/// PutAttributeMapping and DeleteAttributeMapping, on `Profiles/<name>.json`.
struct ProfileOperations {
    let store: RolesAnywhereStore

    func create(_ call: RolesAnywhereCall) throws(ControlPlaneError) -> RolesAnywhereResult {
        let body = try call.body()
        let name = try RolesAnywhereJSON.name(body, required: true) ?? ""
        let roleArns = try body.require("roleArns", try Self.roleArns(body, call))
        let fields = try Self.settings(body, call)
        let enabled = try body.bool("enabled") ?? false
        let requireInstanceProperties = try body.bool("requireInstanceProperties")
        let tags = try RolesAnywhereJSON.tags(body)
        let id = RolesAnywhereCall.newId()
        let arn = call.arn("profile", id)
        try call.authorize(arn, requestTags: tags)
        let stem = try store.mutate(field: Self.fieldOf) { () throws(ControlPlaneError) in
            let taken = Set(RolesAnywhereStore.list(store.profilesDirectory).map { String($0.prefix { $0 != "." }) })
            let stem = RolesAnywhereStore.fileName(for: name, id: id, taken: taken.union(["roles", "upstreams"]))
            var json = ProfileDocument(
                name: stem, arn: arn, enabled: enabled, roleArns: roleArns,
                durationSeconds: fields.durationSeconds ?? 3600,
                acceptRoleSessionName: fields.acceptRoleSessionName ?? false, sessionPolicy: fields.sessionPolicy,
                managedPolicyArns: fields.managedPolicyArns ?? []
            ).json
            if let requireInstanceProperties {
                json = json.setting("requireInstanceProperties", to: .bool(requireInstanceProperties))
            }
            let record = ProfileRecord(
                stem: stem, json: json, arn: ARN(arn)!,
                metadata: ResourceMetadata(name: name, createdAt: call.now, updatedAt: call.now, tags: tags ?? []))
            return (ConfigurationChange(summary: "creating profile \(name)", operation: .writeFile(record.file)), stem)
        }
        return .created(RolesAnywhereJSON.wrap("profile", try reread(stem)))
    }

    func get(_ call: RolesAnywhereCall) throws(ControlPlaneError) -> RolesAnywhereResult {
        let record = try find(call)
        try call.authorize(record.arn.description, resourceTags: record.metadata.tags)
        return .ok(RolesAnywhereJSON.wrap("profile", record.detail))
    }

    func list(_ call: RolesAnywhereCall) throws(ControlPlaneError) -> RolesAnywhereResult {
        let pagination = try Pagination(query: call.query)
        try call.authorize("*")
        let page = pagination.page(store.profiles(for: call), id: \.id)
        return .ok(RolesAnywhereJSON.page("profiles", page.items.map(\.detail), nextToken: page.nextToken))
    }

    func update(_ call: RolesAnywhereCall) throws(ControlPlaneError) -> RolesAnywhereResult {
        let body = try call.body()
        let name = try RolesAnywhereJSON.name(body, required: false)
        let roleArns = try Self.roleArns(body, call)
        let fields = try Self.settings(body, call)
        return try edit(call, summary: "updating") { record in
            if let name { record.metadata.name = name }
            if let roleArns {
                record.json = record.json.setting("roleArns", to: .array(roleArns.map(JSONValue.string)))
            }
            if let policy = fields.sessionPolicy {
                record.json = record.json.setting("sessionPolicy", to: .string(policy))
            }
            if let managed = fields.managedPolicyArns {
                record.json = record.json.setting("managedPolicyArns", to: .array(managed.map(JSONValue.string)))
            }
            if let duration = fields.durationSeconds {
                record.json = record.json.setting("durationSeconds", to: .number(String(duration)))
            }
            if let accept = fields.acceptRoleSessionName {
                record.json = record.json.setting("acceptRoleSessionName", to: .bool(accept))
            }
        }
    }

    func setEnabled(_ call: RolesAnywhereCall, _ enabled: Bool) throws(ControlPlaneError) -> RolesAnywhereResult {
        try edit(call, summary: enabled ? "enabling" : "disabling") { record in
            record.json = record.json.setting("enabled", to: .bool(enabled))
        }
    }

    func delete(_ call: RolesAnywhereCall) throws(ControlPlaneError) -> RolesAnywhereResult {
        let id = try call.resourceId("profileId")
        let detail = try store.mutate(field: Self.fieldOf) { () throws(ControlPlaneError) in
            let record = try find(call, id: id)
            try call.authorize(record.arn.description, resourceTags: record.metadata.tags)
            let change = ConfigurationChange(
                summary: "deleting profile \(record.name)", operation: .removeFile(.profiles, "\(record.stem).json"))
            return (change, record.detail)
        }
        return .ok(RolesAnywhereJSON.wrap("profile", detail))
    }

    /// PutAttributeMapping: replaces the rules of one certificate field (starting from AWS's default mapping when
    /// the profile has none of its own).
    func putAttributeMapping(_ call: RolesAnywhereCall) throws(ControlPlaneError) -> RolesAnywhereResult {
        let body = try call.body()
        let field = try Self.certificateField(body.string("certificateField"))
        guard case .array(let rules)? = body.value("mappingRules") else {
            throw RolesAnywhereErrors.validation("mappingRules", "is required: a list of {\"specifier\": …}")
        }
        var specifiers: [String] = []
        for (index, rule) in rules.enumerated() {
            guard let specifier = rule["specifier"]?.stringValue else {
                throw RolesAnywhereErrors.validation("mappingRules[\(index)].specifier", "is required")
            }
            guard specifier.unicodeScalars.count <= AttributeMapping.maximumSpecifierLength else {
                throw RolesAnywhereErrors.validation("mappingRules[\(index)].specifier", "must be 0-60 characters")
            }
            specifiers.append(specifier)
        }
        return try edit(call, summary: "mapping \(field) of") { record in
            var mappings = record.attributeMappings.filter { $0["certificateField"]?.stringValue != field }
            mappings.append(
                .object([
                    "certificateField": .string(field),
                    "mappingRules": .array(specifiers.map { .object(["specifier": .string($0)]) }),
                ]))
            record.json = record.json.setting("attributeMappings", to: .array(mappings))
        }
    }

    /// DeleteAttributeMapping: removes the given `specifiers` of one field, or the whole field's rules.
    func deleteAttributeMapping(_ call: RolesAnywhereCall) throws(ControlPlaneError) -> RolesAnywhereResult {
        let field = try Self.certificateField(call.queryValue("certificateField"))
        let specifiers = call.query.filter { $0.name == "specifiers" }.map(\.value)
        return try edit(call, summary: "removing \(field) mapping of") { record in
            var mappings: [JSONValue] = []
            for mapping in record.attributeMappings {
                guard mapping["certificateField"]?.stringValue == field else {
                    mappings.append(mapping)
                    continue
                }
                guard !specifiers.isEmpty, case .array(let rules)? = mapping["mappingRules"] else { continue }
                let kept = rules.filter { !specifiers.contains($0["specifier"]?.stringValue ?? "") }
                mappings.append(mapping.setting("mappingRules", to: .array(kept)))
            }
            record.json = record.json.setting("attributeMappings", to: .array(mappings))
        }
    }

    /// Reads the profile under the lock, authorizes, applies `change`, writes it with `updatedAt` now, and
    /// answers `{"profile": ProfileDetail}`.
    private func edit(
        _ call: RolesAnywhereCall, summary: String, _ change: (inout ProfileRecord) throws(ControlPlaneError) -> Void
    ) throws(ControlPlaneError) -> RolesAnywhereResult {
        let id = try call.resourceId("profileId")
        let stem = try store.mutate(field: Self.fieldOf) { () throws(ControlPlaneError) in
            var record = try find(call, id: id)
            try call.authorize(record.arn.description, resourceTags: record.metadata.tags)
            try change(&record)
            record.metadata.updatedAt = call.now
            return (
                ConfigurationChange(summary: "\(summary) profile \(record.name)", operation: .writeFile(record.file)),
                record.stem
            )
        }
        return .ok(RolesAnywhereJSON.wrap("profile", try reread(stem)))
    }

    func find(_ call: RolesAnywhereCall, id: String? = nil) throws(ControlPlaneError) -> ProfileRecord {
        let resolved: String
        if let id { resolved = id } else { resolved = try call.resourceId("profileId") }
        return try store.find(
            store.profiles(for: call), id: resolved, type: "profile", what: "profile", call: call, recordId: \.id)
    }

    private func reread(_ stem: String) throws(ControlPlaneError) -> JSONValue {
        guard let record = ProfileRecord(stem: stem, root: store.profilesDirectory) else {
            throw RolesAnywhereErrors.writeFailed("the written file does not read back")
        }
        return record.detail
    }

    private static func fieldOf(_ issue: ConfigurationIssue) -> String {
        let member = RolesAnywhereStore.member(issue, fallback: "name")
        return member.hasPrefix("attributeMappings") ? "mappingRules" : member
    }

    /// The optional settings of CreateProfile and UpdateProfile, checked against the model.
    struct Settings {
        var sessionPolicy: String?
        var managedPolicyArns: [String]?
        var durationSeconds: Int?
        var acceptRoleSessionName: Bool?
    }

    static func settings(_ body: RequestBody, _ call: RolesAnywhereCall) throws(ControlPlaneError) -> Settings {
        var settings = Settings()
        settings.sessionPolicy = try body.string("sessionPolicy")
        if let policy = settings.sessionPolicy, let problem = ProfileRules.problem(sessionPolicy: policy) {
            throw RolesAnywhereErrors.validation("sessionPolicy", problem)
        }
        settings.managedPolicyArns = try body.strings(
            "managedPolicyArns", maximumCount: ProfileRules.maximumManagedPolicyArns)
        for (index, arn) in (settings.managedPolicyArns ?? []).enumerated() {
            guard ProfileRules.managedPolicyArnLength.contains(arn.count), ARN(arn) != nil else {
                throw RolesAnywhereErrors.validation("managedPolicyArns[\(index)]", "must be a policy ARN")
            }
        }
        settings.durationSeconds = try body.integer("durationSeconds", in: ProfileRules.durationSeconds)
        settings.acceptRoleSessionName = try body.bool("acceptRoleSessionName")
        return settings
    }

    /// `roleArns`: IAM role ARNs of the caller's own account, each once.
    static func roleArns(_ body: RequestBody, _ call: RolesAnywhereCall) throws(ControlPlaneError) -> [String]? {
        guard let arns = try body.strings("roleArns", maximumCount: ProfileRules.maximumRoleArns) else { return nil }
        for (index, text) in arns.enumerated() {
            guard text.count <= 1011, let arn = ARN(text), arn.partition.hasPrefix("aws"), arn.service == "iam",
                arn.hasResource(ofType: "role")
            else { throw RolesAnywhereErrors.validation("roleArns[\(index)]", "must be an IAM role ARN") }
            guard CodePoints.equal(arn.account, call.caller.account) else {
                throw RolesAnywhereErrors.validation("roleArns[\(index)]", "must be a role of your own account")
            }
            guard !arns[..<index].contains(text) else {
                throw RolesAnywhereErrors.validation("roleArns[\(index)]", "is listed twice")
            }
        }
        return arns
    }

    static func certificateField(_ value: String?) throws(ControlPlaneError) -> String {
        guard let value, AttributeMapping.CertificateField(rawValue: value) != nil else {
            throw RolesAnywhereErrors.validation("certificateField", "must be x509Subject, x509Issuer or x509SAN")
        }
        return value
    }
}
