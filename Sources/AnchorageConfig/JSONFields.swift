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

    func string(_ key: String, required: Bool, issues: inout [SchemaError]) -> String? {
        guard let found = member(key, required: required, issues: &issues) else { return nil }
        guard let text = found.stringValue else {
            issues.append(
                SchemaError(path: "\(path).\(key)", message: "must be a string, not \(found.kindDescription)"))
            return nil
        }
        return text
    }

    func bool(_ key: String, required: Bool, issues: inout [SchemaError]) -> Bool? {
        guard let found = member(key, required: required, issues: &issues) else { return nil }
        guard let flag = found.boolValue else {
            issues.append(
                SchemaError(path: "\(path).\(key)", message: "must be a boolean, not \(found.kindDescription)"))
            return nil
        }
        return flag
    }

    func int(_ key: String, required: Bool, issues: inout [SchemaError]) -> Int? {
        guard let found = member(key, required: required, issues: &issues) else { return nil }
        guard let number = found.intValue else {
            issues.append(
                SchemaError(path: "\(path).\(key)", message: "must be an integer, not \(found.kindDescription)"))
            return nil
        }
        return number
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
