public import AnchorageCore

extension RoleDocument {
    /// IAM's limit on the aggregate size of a role's inline policies (characters, whitespace excluded).
    public static let inlinePolicyAggregateLimit = 10240
    /// IAM's limit on the tags of a role.
    public static let tagLimit = 50

    /// The role keys a file may hold: IAM's Role/RoleDetail names, and Anchorage's `Upstream`. `RoleName`,
    /// `RoleId` and `Path` are tolerated and ignored (they are derived from `Arn`).
    static let knownKeys: Set<String> = [
        "Arn", "MaxSessionDuration", "AssumeRolePolicyDocument", "RoleName", "RoleId", "Path", "Description",
        "RolePolicyList", "Tags", "CreateDate", "Upstream",
    ]

    /// Decodes a role file's JSON strictly, as the loader and the IAM API do: every problem is appended to
    /// `issues` with its JSON path, and nil is returned unless the whole role is valid.
    ///
    /// The one decoder of role files: `serve`, `validate`, the admin commands (through the loader) and the IAM
    /// role operations all accept exactly what it accepts.
    public static func decode(_ json: JSONValue, issues: inout [SchemaError]) -> (document: RoleDocument, role: Role)? {
        var schemaIssues: [SchemaError] = []
        let fields = JSONFields(json, path: "$", issues: &schemaIssues)
        let arnText = fields.string("Arn", required: true, issues: &schemaIssues)
        let maxDuration = fields.int("MaxSessionDuration", required: false, issues: &schemaIssues) ?? 3600
        let description = fields.string("Description", required: false, issues: &schemaIssues)
        let createDate = fields.string("CreateDate", required: false, issues: &schemaIssues)
        let upstream = fields.string("Upstream", required: false, issues: &schemaIssues)
        _ = fields.string("RoleName", required: false, issues: &schemaIssues)
        _ = fields.string("RoleId", required: false, issues: &schemaIssues)
        _ = fields.string("Path", required: false, issues: &schemaIssues)
        fields.rejectUnknown(knownKeys, issues: &schemaIssues)
        if !(3600...43200).contains(maxDuration) {
            schemaIssues.append(SchemaError(path: "$.MaxSessionDuration", message: "must be 3600-43200"))
        }
        if let description, description.count > 1000 {
            schemaIssues.append(SchemaError(path: "$.Description", message: "must be at most 1000 characters"))
        }
        if let description, let problem = Tag.controlCharacterProblem(description) {
            schemaIssues.append(SchemaError(path: "$.Description", message: problem))
        }
        if let createDate, UTCTimestamp.parseISO8601(createDate) == nil {
            schemaIssues.append(
                SchemaError(path: "$.CreateDate", message: "must be an ISO 8601 UTC time (2026-01-31T12:00:00Z)"))
        }
        var arn: ARN?
        if let arnText {
            arn = ARN(arnText)
            if arn?.service != "iam" || arn?.hasResource(ofType: "role") != true || arn?.account.isEmpty != false {
                schemaIssues.append(SchemaError(path: "$.Arn", message: "not an IAM role ARN"))
                arn = nil
            }
        }
        var trust: (parsed: PolicyDocument, json: JSONValue)?
        if let value = json["AssumeRolePolicyDocument"] {
            do {
                trust = try policyDocument(value, path: "$.AssumeRolePolicyDocument", kind: .trust)
            } catch {
                schemaIssues.append(error)
            }
        } else if case .object = json {
            schemaIssues.append(SchemaError(path: "$.AssumeRolePolicyDocument", message: "required"))
        }
        let tags = decodeTags(json["Tags"], &schemaIssues)
        let policies = decodeInlinePolicies(json["RolePolicyList"], &schemaIssues)
        issues += schemaIssues
        guard schemaIssues.isEmpty, let arn, let arnText, let trust, let tags, let policies else { return nil }
        let document = RoleDocument(
            arn: arnText, maxSessionDuration: maxDuration, description: description, trustPolicy: trust.json,
            inlinePolicies: policies.map { InlinePolicy(name: $0.name, document: $0.json) }, tags: tags,
            createDate: createDate, upstream: upstream)
        let role = Role(
            arn: arn, maxSessionDuration: maxDuration, trustPolicy: trust.parsed,
            identityPolicies: policies.map { IdentityPolicy(name: $0.name, document: $0.parsed) }, upstream: upstream,
            createdAt: createDate.flatMap(UTCTimestamp.parseISO8601))
        return (document, role)
    }

    /// Parses a policy document given as an object or as JSON text (IAM's API returns documents URL-encoded
    /// inside a string; plain or encoded text is accepted). Plain JSON text is never percent-decoded:
    /// `"web%2Fteam"` in a condition stays as written. Returns the parsed document and its JSON object.
    public static func policyDocument(_ value: JSONValue, path: String, kind: PolicyDocument.Kind) throws(SchemaError)
        -> (parsed: PolicyDocument, json: JSONValue)
    {
        var json = value
        if case .string(let text) = value {
            let isPlainJSON = text.drop { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }.first == "{"
            let decoded =
                isPlainJSON ? text : QueryParameters.percentDecode(Substring(text), plusAsSpace: false) ?? text
            do {
                json = try JSONParser.parse(decoded)
            } catch {
                throw SchemaError(path: path, message: "not JSON: \(error)")
            }
        }
        return (try PolicyDocument(json: json, path: path, kind: kind), json)
    }

    private static func decodeTags(_ value: JSONValue?, _ issues: inout [SchemaError]) -> [Tag]? {
        guard let value, value != .null else { return [] }
        guard case .array(let items) = value else {
            issues.append(SchemaError(path: "$.Tags", message: "must be an array of {\"Key\", \"Value\"}"))
            return nil
        }
        let before = issues.count
        if items.count > tagLimit {
            issues.append(SchemaError(path: "$.Tags", message: "at most \(tagLimit) tags"))
        }
        var tags: [Tag] = []
        for (index, item) in items.enumerated() {
            let path = "$.Tags[\(index)]"
            let fields = JSONFields(item, path: path, issues: &issues)
            let key = fields.string("Key", required: true, issues: &issues)
            let value = fields.string("Value", required: true, issues: &issues)
            fields.rejectUnknown(["Key", "Value"], issues: &issues)
            guard let key, let value else { continue }
            if let problem = Tag.keyProblem(key) { issues.append(SchemaError(path: "\(path).Key", message: problem)) }
            if let problem = Tag.valueProblem(value) {
                issues.append(SchemaError(path: "\(path).Value", message: problem))
            }
            // Keys compare by their bytes: "Team" and "team" are two tags, as IAM keeps them.
            if tags.contains(where: { Array($0.key.utf8) == Array(key.utf8) }) {
                issues.append(SchemaError(path: "\(path).Key", message: "duplicate tag key"))
            }
            tags.append(Tag(key: key, value: value))
        }
        return issues.count == before ? tags : nil
    }

    private static func decodeInlinePolicies(_ value: JSONValue?, _ issues: inout [SchemaError])
        -> [(name: String, parsed: PolicyDocument, json: JSONValue)]?
    {
        guard let value, value != .null else { return [] }
        guard case .array(let items) = value else {
            issues.append(
                SchemaError(
                    path: "$.RolePolicyList", message: "must be an array of {\"PolicyName\", \"PolicyDocument\"}"))
            return nil
        }
        let before = issues.count
        var out: [(name: String, parsed: PolicyDocument, json: JSONValue)] = []
        var size = 0
        for (index, item) in items.enumerated() {
            let path = "$.RolePolicyList[\(index)]"
            let fields = JSONFields(item, path: path, issues: &issues)
            let name = fields.string("PolicyName", required: true, issues: &issues)
            fields.rejectUnknown(["PolicyName", "PolicyDocument"], issues: &issues)
            if let name, !IdentityPolicy.isValidName(name) {
                issues.append(
                    SchemaError(path: "\(path).PolicyName", message: "must be 1-128 characters of [A-Za-z0-9+=,.@_-]"))
            }
            if let name, out.contains(where: { Array($0.name.utf8) == Array(name.utf8) }) {
                issues.append(SchemaError(path: "\(path).PolicyName", message: "duplicate policy name"))
            }
            guard case .object = item else { continue }
            guard let documentValue = item["PolicyDocument"] else {
                issues.append(SchemaError(path: "\(path).PolicyDocument", message: "required"))
                continue
            }
            do {
                let document = try policyDocument(documentValue, path: "\(path).PolicyDocument", kind: .identity)
                size += policySize(document.json)
                if let name { out.append((name, document.parsed, document.json)) }
            } catch {
                issues.append(error)
            }
        }
        if size > inlinePolicyAggregateLimit {
            issues.append(
                SchemaError(
                    path: "$.RolePolicyList",
                    message: "inline policies total \(size) characters, more than IAM's \(inlinePolicyAggregateLimit)"))
        }
        return issues.count == before ? out : nil
    }

    /// A policy's size as IAM counts it: its characters without whitespace (the compact JSON form).
    public static func policySize(_ document: JSONValue) -> Int { JSONWriter.string(document).count }
}

extension RoleDocument.Tag {
    /// Why `key` is not a valid IAM tag key (1–128 characters, no `aws:` prefix), or nil.
    public static func keyProblem(_ key: String) -> String? {
        if key.isEmpty || key.count > 128 { return "must be 1-128 characters" }
        if key.lowercased().hasPrefix("aws:") { return "the aws: prefix is reserved" }
        return controlCharacterProblem(key)
    }

    /// Why `text` cannot stand in IAM's XML answers (a control character other than tab and line breaks, or
    /// U+FFFE/U+FFFF: not XML, so botocore would refuse every answer showing it), or nil. IAM's patterns for tags
    /// and descriptions refuse them too.
    public static func controlCharacterProblem(_ text: String) -> String? {
        let refused = text.unicodeScalars.contains { scalar in
            (scalar.value < 0x20 && scalar != "\t" && scalar != "\n" && scalar != "\r") || scalar.value == 0xFFFE
                || scalar.value == 0xFFFF
        }
        return refused ? "must not contain control characters" : nil
    }

    /// Why `value` is not a valid IAM tag value (0–256 characters), or nil.
    public static func valueProblem(_ value: String) -> String? {
        value.count > 256 ? "must be at most 256 characters" : controlCharacterProblem(value)
    }
}
