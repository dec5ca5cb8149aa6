public import AnchorageCore

/// A role as `Profiles/roles/<RoleName>.json` holds it: IAM's Role shape, with the trust policy as a document.
public struct RoleDocument: Sendable, Equatable {
    public var arn: String
    public var maxSessionDuration: Int
    public var description: String?
    /// The `AssumeRolePolicyDocument`.
    public var trustPolicy: JSONValue
    /// `Upstream`: the name of the upstream STS (`Profiles/upstreams/<name>.json`) brokering the role, if any.
    public var upstream: String?

    public init(
        arn: String, maxSessionDuration: Int = 3600, description: String? = nil, trustPolicy: JSONValue,
        upstream: String? = nil
    ) {
        self.arn = arn
        self.maxSessionDuration = maxSessionDuration
        self.description = description
        self.trustPolicy = trustPolicy
        self.upstream = upstream
    }

    /// The role name: the last segment of the ARN (the file is named after it).
    public var name: String {
        ARN(arn)?.resourceName ?? String(arn.split(separator: "/").last ?? Substring(arn))
    }

    /// The document: `Arn`, `MaxSessionDuration`, `Description` when given, `AssumeRolePolicyDocument`, `Upstream`
    /// when given.
    public var json: JSONValue {
        var members = [
            JSONMember(key: "Arn", value: .string(arn)),
            JSONMember(key: "MaxSessionDuration", value: .number(String(maxSessionDuration))),
        ]
        if let description { members.append(JSONMember(key: "Description", value: .string(description))) }
        members.append(JSONMember(key: "AssumeRolePolicyDocument", value: trustPolicy))
        if let upstream { members.append(JSONMember(key: "Upstream", value: .string(upstream))) }
        return .object(members)
    }

    /// The actions a Roles Anywhere trust policy allows.
    public static let trustActions = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]

    /// A statement for the principal `{"Service": "rolesanywhere.amazonaws.com"}` and ``trustActions``, with
    /// `condition` (a condition block: operator → key → value or values) when given.
    public static func rolesAnywhereStatement(effect: String = "Allow", condition: JSONValue? = nil) -> JSONValue {
        var statement = [
            JSONMember(key: "Effect", value: .string(effect)),
            JSONMember(key: "Principal", value: .object(["Service": .string("rolesanywhere.amazonaws.com")])),
            JSONMember(key: "Action", value: .array(trustActions.map(JSONValue.string))),
        ]
        if let condition { statement.append(JSONMember(key: "Condition", value: condition)) }
        return .object(statement)
    }

    /// A policy document (version 2012-10-17) of `statements`.
    public static func policy(_ statements: [JSONValue]) -> JSONValue {
        .object(["Version": .string("2012-10-17"), "Statement": .array(statements)])
    }
}
