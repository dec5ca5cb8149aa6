public import AnchorageCore

/// A role as `Profiles/roles/<RoleName>.json` holds it: IAM's Role shape, with the trust policy as a document,
/// and the compatible extensions IAM's `RoleDetail` spells the same way: `RolePolicyList` (inline identity
/// policies), `Tags` and `CreateDate`.
public struct RoleDocument: Sendable, Equatable {
    /// One entry of `RolePolicyList`: `{"PolicyName": …, "PolicyDocument": {…}}`.
    public struct InlinePolicy: Sendable, Equatable {
        public var name: String
        /// The document as stored (an object).
        public var document: JSONValue

        public init(name: String, document: JSONValue) {
            self.name = name
            self.document = document
        }
    }

    /// One entry of `Tags`: `{"Key": …, "Value": …}`.
    public struct Tag: Sendable, Equatable {
        public var key: String
        public var value: String

        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    public var arn: String
    public var maxSessionDuration: Int
    public var description: String?
    /// The `AssumeRolePolicyDocument`.
    public var trustPolicy: JSONValue
    /// `RolePolicyList`, in order; omitted from the file when empty.
    public var inlinePolicies: [InlinePolicy]
    /// `Tags`, in order; omitted from the file when empty.
    public var tags: [Tag]
    /// `CreateDate` (ISO 8601, UTC, seconds), when known.
    public var createDate: String?

    public init(
        arn: String, maxSessionDuration: Int = 3600, description: String? = nil, trustPolicy: JSONValue,
        inlinePolicies: [InlinePolicy] = [], tags: [Tag] = [], createDate: String? = nil
    ) {
        self.arn = arn
        self.maxSessionDuration = maxSessionDuration
        self.description = description
        self.trustPolicy = trustPolicy
        self.inlinePolicies = inlinePolicies
        self.tags = tags
        self.createDate = createDate
    }

    /// The role name: the last segment of the ARN (the file is named after it).
    public var name: String {
        ARN(arn)?.resourceName ?? String(arn.split(separator: "/").last ?? Substring(arn))
    }

    /// The document: `Arn`, `MaxSessionDuration`, `Description` and `CreateDate` when given, `Tags` when any,
    /// `AssumeRolePolicyDocument`, `RolePolicyList` when any.
    public var json: JSONValue {
        var members = [
            JSONMember(key: "Arn", value: .string(arn)),
            JSONMember(key: "MaxSessionDuration", value: .number(String(maxSessionDuration))),
        ]
        if let description { members.append(JSONMember(key: "Description", value: .string(description))) }
        if let createDate { members.append(JSONMember(key: "CreateDate", value: .string(createDate))) }
        if !tags.isEmpty {
            members.append(
                JSONMember(
                    key: "Tags",
                    value: .array(
                        tags.map {
                            .object([
                                JSONMember(key: "Key", value: .string($0.key)),
                                JSONMember(key: "Value", value: .string($0.value)),
                            ])
                        })))
        }
        members.append(JSONMember(key: "AssumeRolePolicyDocument", value: trustPolicy))
        if !inlinePolicies.isEmpty {
            members.append(
                JSONMember(
                    key: "RolePolicyList",
                    value: .array(
                        inlinePolicies.map {
                            .object([
                                JSONMember(key: "PolicyName", value: .string($0.name)),
                                JSONMember(key: "PolicyDocument", value: $0.document),
                            ])
                        })))
        }
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
