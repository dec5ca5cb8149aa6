import AnchorageCore

/// Typed, path-reporting access to the members of one JSON object.
struct JSONFields {
    let value: JSONValue
    let path: String

    init(_ value: JSONValue, path: String, issues: inout [SchemaError]) {
        self.value = value
        self.path = path
        if case .object = value {} else { issues.append(SchemaError(path: path, message: "must be an object")) }
    }

    private func member(_ key: String, required: Bool, issues: inout [SchemaError]) -> JSONValue? {
        guard case .object = value else { return nil }
        guard let found = value[key] else {
            if required { issues.append(SchemaError(path: "\(path).\(key)", message: "required")) }
            return nil
        }
        if case .null = found, !required { return nil }
        return found
    }

    /// The member `key` converted by `convert`; a member of another kind is an issue naming `kind`.
    private func typed<T>(
        _ key: String, required: Bool, kind: String, issues: inout [SchemaError], _ convert: (JSONValue) -> T?
    ) -> T? {
        guard let found = member(key, required: required, issues: &issues) else { return nil }
        guard let converted = convert(found) else {
            issues.append(SchemaError(path: "\(path).\(key)", message: "must be \(kind), not \(found.kindDescription)"))
            return nil
        }
        return converted
    }

    func string(_ key: String, required: Bool, issues: inout [SchemaError]) -> String? {
        typed(key, required: required, kind: "a string", issues: &issues) { $0.stringValue }
    }

    func bool(_ key: String, required: Bool, issues: inout [SchemaError]) -> Bool? {
        typed(key, required: required, kind: "a boolean", issues: &issues) { $0.boolValue }
    }

    func int(_ key: String, required: Bool, issues: inout [SchemaError]) -> Int? {
        typed(key, required: required, kind: "an integer", issues: &issues) { $0.intValue }
    }

    func stringArray(_ key: String, required: Bool, issues: inout [SchemaError]) -> [String]? {
        guard let found = member(key, required: required, issues: &issues) else { return nil }
        guard case .array(let elements) = found else {
            issues.append(SchemaError(path: "\(path).\(key)", message: "must be an array of strings"))
            return nil
        }
        var out: [String] = []
        for (index, element) in elements.enumerated() {
            guard let text = element.stringValue else {
                issues.append(SchemaError(path: "\(path).\(key)[\(index)]", message: "must be a string"))
                continue
            }
            out.append(text)
        }
        return out
    }

    func rejectUnknown(_ known: Set<String>, issues: inout [SchemaError]) {
        guard case .object(let members) = value else { return }
        for member in members where !known.contains(member.key) {
            issues.append(SchemaError(path: "\(path).\(member.key)", message: "unknown key"))
        }
    }
}
