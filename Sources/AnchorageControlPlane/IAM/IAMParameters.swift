import AnchorageConfig
import AnchorageCore

/// The form parameters of one IAM query-protocol request, read with IAM's validation messages (which name the
/// field at fault).
struct IAMParameters {
    private var values: [String: String] = [:]

    init(_ pairs: [(name: String, value: String)]) {
        // The first occurrence counts, as for STS's form.
        for pair in pairs where values[pair.name] == nil { values[pair.name] = pair.value }
    }

    subscript(name: String) -> String? { values[name] }

    /// IAM's one-line validation message: `Value 'x' at 'roleName' failed to satisfy constraint: …`.
    static func invalid(_ field: String, _ value: String?, _ constraint: String) -> ControlPlaneError {
        let shown = value.map { String($0.prefix(128)) } ?? "null"
        return ControlPlaneError(
            type: "ValidationError", status: 400,
            message: "1 validation error detected: Value '\(shown)' at '\(field)' failed to satisfy constraint: "
                + constraint,
            reason: "validation_error")
    }

    func required(_ name: String) throws(ControlPlaneError) -> String {
        guard let value = values[name] else {
            throw Self.invalid(Self.fieldName(name), nil, "Member must not be null")
        }
        return value
    }

    /// `RoleName`: 1–64 characters of `[\w+=,.@-]`.
    func roleName(_ name: String = "RoleName") throws(ControlPlaneError) -> String {
        let value = try required(name)
        guard value.utf8.count <= 64, IdentityPolicy.isValidName(value) else {
            throw Self.invalid(
                Self.fieldName(name), value, "Member must satisfy regular expression pattern: [\\w+=,.@-]{1,64}")
        }
        // The role's file is `<RoleName>.json`, and the loader skips hidden files.
        guard !value.hasPrefix(".") else {
            throw Self.invalid(Self.fieldName(name), value, "Anchorage role names must not start with '.'")
        }
        return value
    }

    /// `PolicyName`: 1–128 characters of `[\w+=,.@-]`.
    func policyName() throws(ControlPlaneError) -> String {
        let value = try required("PolicyName")
        guard IdentityPolicy.isValidName(value) else {
            throw Self.invalid(
                "policyName", value, "Member must satisfy regular expression pattern: [\\w+=,.@-]{1,128}")
        }
        return value
    }

    func integer(_ name: String, in range: ClosedRange<Int>) throws(ControlPlaneError) -> Int? {
        guard let text = values[name] else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw Self.invalid(
                Self.fieldName(name), text,
                "Member must have value between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }

    /// `Path`: `/` or `/…/`, 1–512 printable ASCII characters.
    func path() throws(ControlPlaneError) -> String {
        guard let value = values["Path"] else { return "/" }
        guard value.hasPrefix("/"), value.hasSuffix("/"), value.utf8.count <= 512, !value.contains("//"),
            value.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) })
        else {
            throw Self.invalid(
                "path", value,
                "Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)")
        }
        return value
    }

    /// `Tags.member.N.Key` / `.Value`, in N order; no two keys equal ignoring case.
    func tags() throws(ControlPlaneError) -> [RoleDocument.Tag] {
        var tags: [RoleDocument.Tag] = []
        var index = 1
        while let key = values["Tags.member.\(index).Key"] {
            let value = values["Tags.member.\(index).Value"] ?? ""
            if let problem = RoleDocument.Tag.keyProblem(key) {
                throw Self.invalid("tags.\(index).member.key", key, problem)
            }
            if let problem = RoleDocument.Tag.valueProblem(value) {
                throw Self.invalid("tags.\(index).member.value", value, problem)
            }
            // IAM's tag keys and condition keys are case-insensitive: `team` beside `Team` would give
            // `aws:RequestTag/team` two values, and a condition holding for either would pass the other.
            if tags.contains(where: { CodePoints.equalIgnoringASCIICase($0.key, key) }) {
                throw Self.invalid(
                    "tags", key, "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
            }
            tags.append(RoleDocument.Tag(key: key, value: value))
            index += 1
        }
        return tags
    }

    /// `TagKeys.member.N`, in N order.
    func tagKeys() throws(ControlPlaneError) -> [String] {
        var keys: [String] = []
        var index = 1
        while let key = values["TagKeys.member.\(index)"] {
            if let problem = RoleDocument.Tag.keyProblem(key) {
                throw Self.invalid("tagKeys.\(index).member", key, problem)
            }
            keys.append(key)
            index += 1
        }
        guard !keys.isEmpty else { throw Self.invalid("tagKeys", nil, "Member must not be null") }
        return keys
    }

    /// The field name as IAM's messages spell it: the parameter with a lowercase first letter.
    static func fieldName(_ parameter: String) -> String {
        guard let first = parameter.first else { return parameter }
        return first.lowercased() + parameter.dropFirst()
    }
}
