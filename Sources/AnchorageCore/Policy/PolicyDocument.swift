/// An IAM policy document, parsed strictly: a role's trust policy (`AssumeRolePolicyDocument`) or one of its
/// identity policies (`RolePolicyList`).
///
/// Strict because a typo in a policy must not silently widen access: an unknown key, a
/// misspelt `Effect`, an unknown condition operator or a value of the wrong kind is a
/// ``SchemaError`` naming the JSON path. The two kinds differ as IAM makes them differ (``Kind``).
public struct PolicyDocument: Equatable, Sendable {
    /// Which element names whom: a trust policy says who may assume the role (`Principal` required,
    /// `Resource`/`NotResource` accepted and ignored, as IAM tolerates them); an identity policy is attached to
    /// its principal, so it has no `Principal`/`NotPrincipal` and every statement names its `Resource` or
    /// `NotResource`.
    public enum Kind: Sendable {
        case trust, identity
    }

    /// `"2012-10-17"`, `"2008-10-17"` or nil when absent.
    public var version: String?
    /// The optional `Id` element; informational only.
    public var id: String?
    /// Statements in document order (a single-object `Statement` becomes one element).
    public var statements: [PolicyStatement]

    /// Builds a document from already-valid parts (tests, generated policies).
    public init(version: String? = "2012-10-17", id: String? = nil, statements: [PolicyStatement]) {
        self.version = version
        self.id = id
        self.statements = statements
    }

    /// Parses and validates a policy document.
    /// - Parameter path: the JSON path of `json` in its file, prefixed to error paths.
    public init(json: JSONValue, path: String = "$", kind: Kind = .trust) throws(SchemaError) {
        let members = try Self.object(json, path)
        try Self.rejectUnknown(members, allowed: ["Version", "Id", "Statement"], path)
        if let v = json["Version"] {
            let text = try Self.string(v, "\(path).Version")
            guard text == "2012-10-17" || text == "2008-10-17" else {
                throw SchemaError(path: "\(path).Version", message: "unsupported policy version \"\(text)\"")
            }
            version = text
        } else {
            version = nil
        }
        id = try json["Id"].map { v throws(SchemaError) in try Self.string(v, "\(path).Id") }
        guard let statementValue = json["Statement"] else {
            throw SchemaError(path: path, message: "missing \"Statement\"")
        }
        switch statementValue {
        case .object:
            statements = [try Self.statement(statementValue, "\(path).Statement", kind)]
        case .array(let items):
            var parsed: [PolicyStatement] = []
            for (i, item) in items.enumerated() {
                parsed.append(try Self.statement(item, "\(path).Statement[\(i)]", kind))
            }
            statements = parsed
        default:
            throw SchemaError(
                path: "\(path).Statement",
                message: "expected an object or an array, found \(statementValue.kindDescription)")
        }
        // IAM substitutes `${…}` policy variables in 2012-10-17 identity policies; the matchers compare them as
        // literal text, which would silently turn a `Deny` on `role/${aws:PrincipalTag/team}` into no deny at all.
        if kind == .identity, version == "2012-10-17" {
            for (index, statement) in statements.enumerated()
            where (statement.resources + statement.conditions.flatMap(\.values)).contains(where: { $0.contains("${") })
            {
                var at = "\(path).Statement"
                if case .array = statementValue { at += "[\(index)]" }
                throw SchemaError(
                    path: at, message: "policy variables (${…}) are not supported in Resource or Condition values")
            }
        }
    }

    // MARK: - Statement

    private static let statementKeys: Set<String> = [
        "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition",
    ]

    private static func statement(_ json: JSONValue, _ path: String, _ kind: Kind) throws(SchemaError)
        -> PolicyStatement
    {
        let members = try object(json, path)
        try rejectUnknown(members, allowed: statementKeys, path)
        let sid = try json["Sid"].map { v throws(SchemaError) in try string(v, "\(path).Sid") }

        guard let effectValue = json["Effect"] else { throw SchemaError(path: path, message: "missing \"Effect\"") }
        let effectText = try string(effectValue, "\(path).Effect")
        guard let effect = PolicyStatement.Effect(rawValue: effectText) else {
            throw SchemaError(path: "\(path).Effect", message: "must be \"Allow\" or \"Deny\", found \"\(effectText)\"")
        }

        let principal: PolicyPrincipal
        switch kind {
        case .trust:
            // IAM refuses NotPrincipal in a role's trust policy: "everyone except" is no way to say who
            // may assume a role.
            guard json["NotPrincipal"] == nil else {
                throw SchemaError(
                    path: "\(path).NotPrincipal",
                    message: "NotPrincipal is not allowed in a role trust policy; use Principal")
            }
            guard let principalValue = json["Principal"] else {
                // A trust policy must say who may assume the role.
                throw SchemaError(path: path, message: "missing \"Principal\"")
            }
            principal = try self.principal(principalValue, "\(path).Principal")
        case .identity:
            // IAM: "Policy document should not specify a principal." The principal is whoever holds the policy.
            for key in ["Principal", "NotPrincipal"] where json[key] != nil {
                throw SchemaError(
                    path: "\(path).\(key)", message: "an identity policy must not specify a principal (\(key))")
            }
            principal = .specific(service: [], aws: [], federated: [])
        }

        let actions: [String]
        let actionsAreNegated: Bool
        switch (json["Action"], json["NotAction"]) {
        case (let a?, nil):
            actions = try stringList(a, "\(path).Action")
            actionsAreNegated = false
        case (nil, let a?):
            actions = try stringList(a, "\(path).NotAction")
            actionsAreNegated = true
        case (.some, .some):
            throw SchemaError(path: path, message: "has both \"Action\" and \"NotAction\"")
        case (nil, nil):
            throw SchemaError(path: path, message: "missing \"Action\" or \"NotAction\"")
        }

        var resources: [String] = []
        var resourcesAreNegated = false
        switch (json["Resource"], json["NotResource"]) {
        case (let r?, nil):
            resources = try stringList(r, "\(path).Resource")
        case (nil, let r?):
            resources = try stringList(r, "\(path).NotResource")
            resourcesAreNegated = true
        case (let r?, let n?):
            // A trust policy's resources are only checked for shape (IAM tolerates both there).
            guard kind == .trust else {
                throw SchemaError(path: path, message: "has both \"Resource\" and \"NotResource\"")
            }
            _ = try stringList(r, "\(path).Resource")
            _ = try stringList(n, "\(path).NotResource")
        case (nil, nil):
            // Trust policies have no resource to match; an identity statement without one grants nothing
            // IAM could name, and IAM refuses it ("Policy statement must contain resources.").
            if kind == .identity {
                throw SchemaError(path: path, message: "missing \"Resource\" or \"NotResource\"")
            }
        }

        let conditions =
            try json["Condition"].map { v throws(SchemaError) in
                try self.conditions(v, "\(path).Condition")
            } ?? []

        return PolicyStatement(
            sid: sid, effect: effect, principal: principal,
            actions: actions, actionsAreNegated: actionsAreNegated, resources: resources,
            resourcesAreNegated: resourcesAreNegated, conditions: conditions)
    }

    private static func principal(_ json: JSONValue, _ path: String) throws(SchemaError) -> PolicyPrincipal {
        if case .string(let s) = json {
            guard s == "*" else {
                throw SchemaError(path: path, message: "a string principal must be \"*\", found \"\(s)\"")
            }
            return .any
        }
        let members = try object(json, path)
        try rejectUnknown(members, allowed: ["Service", "AWS", "Federated"], path)
        guard !members.isEmpty else { throw SchemaError(path: path, message: "names no principal") }
        func list(_ key: String) throws(SchemaError) -> [String] {
            try json[key].map { v throws(SchemaError) in try stringList(v, "\(path).\(key)") } ?? []
        }
        return .specific(service: try list("Service"), aws: try list("AWS"), federated: try list("Federated"))
    }

    // MARK: - Condition

    private static func conditions(_ json: JSONValue, _ path: String) throws(SchemaError) -> [PolicyCondition] {
        let operators = try object(json, path)
        var result: [PolicyCondition] = []
        for op in operators {
            let opPath = "\(path).\(op.key)"
            guard let parsed = ConditionOperator(name: op.key) else {
                let hint = op.key == "NullIfExists" ? " (Null cannot take IfExists)" : ""
                throw SchemaError(path: opPath, message: "unknown condition operator \"\(op.key)\"\(hint)")
            }
            let keys = try object(op.value, opPath)
            // An empty block would be a vacuous AND, i.e. silently always true: refuse it.
            guard !keys.isEmpty else { throw SchemaError(path: opPath, message: "has no condition keys") }
            for key in keys {
                let keyPath = "\(opPath).\(key.key)"
                guard !key.key.isEmpty else { throw SchemaError(path: keyPath, message: "empty condition key") }
                result.append(
                    PolicyCondition(operator: parsed, key: key.key, values: try conditionValues(key.value, keyPath)))
            }
        }
        return result
    }

    private static func conditionValues(_ json: JSONValue, _ path: String) throws(SchemaError) -> [String] {
        func scalar(_ v: JSONValue, _ p: String) throws(SchemaError) -> String {
            switch v {
            case .string(let s): return s
            case .number(let n): return n
            case .bool(let b): return b ? "true" : "false"
            default:
                throw SchemaError(path: p, message: "expected a string, number or boolean, found \(v.kindDescription)")
            }
        }
        guard case .array(let items) = json else { return [try scalar(json, path)] }
        // No values would make the key impossible (or, negated, trivially true): refuse it.
        guard !items.isEmpty else { throw SchemaError(path: path, message: "has no values") }
        var out: [String] = []
        for (i, item) in items.enumerated() { out.append(try scalar(item, "\(path)[\(i)]")) }
        return out
    }

    // MARK: - Shape helpers

    private static func object(_ json: JSONValue, _ path: String) throws(SchemaError) -> [JSONMember] {
        guard case .object(let members) = json else {
            throw SchemaError(path: path, message: "expected an object, found \(json.kindDescription)")
        }
        return members
    }

    private static func string(_ json: JSONValue, _ path: String) throws(SchemaError) -> String {
        guard case .string(let s) = json else {
            throw SchemaError(path: path, message: "expected a string, found \(json.kindDescription)")
        }
        return s
    }

    /// A string or a non-empty array of strings.
    private static func stringList(_ json: JSONValue, _ path: String) throws(SchemaError) -> [String] {
        switch json {
        case .string(let s):
            guard !s.isEmpty else { throw SchemaError(path: path, message: "empty string") }
            return [s]
        case .array(let items):
            guard !items.isEmpty else { throw SchemaError(path: path, message: "empty array") }
            var out: [String] = []
            for (i, item) in items.enumerated() {
                let s = try string(item, "\(path)[\(i)]")
                guard !s.isEmpty else { throw SchemaError(path: "\(path)[\(i)]", message: "empty string") }
                out.append(s)
            }
            return out
        default:
            throw SchemaError(
                path: path, message: "expected a string or an array of strings, found \(json.kindDescription)")
        }
    }

    private static func rejectUnknown(_ members: [JSONMember], allowed: Set<String>, _ path: String) throws(SchemaError)
    {
        for m in members where !allowed.contains(m.key) {
            throw SchemaError(path: "\(path).\(m.key)", message: "unknown key")
        }
    }
}
