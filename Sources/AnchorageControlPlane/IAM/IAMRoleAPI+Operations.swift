import AnchorageConfig
import AnchorageCore

extension IAMRoleAPI {
    /// One request being answered: its parameters, its caller, and the authorization every operation asks first.
    struct Call {
        var parameters: IAMParameters
        var caller: ControlPlaneCaller
        var authorizer: any ControlPlaneAuthorizing
        var requestId: String
        var now: Int64
        var api: IAMRoleAPI

        /// What an operation answers: the `…Result` body (nil for none) and the resource it acted on.
        struct Answer {
            var result: String?
            var resource: String?
        }

        func run(_ action: String) -> ControlPlaneResponse {
            var resource: String?
            do throws(ControlPlaneError) {
                let answer: Answer
                switch action {
                case "CreateRole": answer = try createRole(&resource)
                case "GetRole": answer = try getRole(&resource)
                case "ListRoles": answer = try listRoles(&resource)
                case "UpdateRole": answer = try updateRole(&resource)
                case "UpdateAssumeRolePolicy": answer = try updateAssumeRolePolicy(&resource)
                case "DeleteRole": answer = try deleteRole(&resource)
                case "TagRole": answer = try tagRole(&resource)
                case "UntagRole": answer = try untagRole(&resource)
                case "ListRoleTags": answer = try listRoleTags(&resource)
                case "PutRolePolicy": answer = try putRolePolicy(&resource)
                case "GetRolePolicy": answer = try getRolePolicy(&resource)
                case "DeleteRolePolicy": answer = try deleteRolePolicy(&resource)
                default: answer = try listRolePolicies(&resource)
                }
                return ControlPlaneResponse(
                    status: 200, headers: [("Content-Type", "text/xml")],
                    body: IAMXML.response(action: action, result: answer.result, requestId: requestId),
                    audit: ControlPlaneAuditFacts(
                        action: "iam:" + action, resource: answer.resource, outcome: "allowed"))
            } catch {
                return failure(error, action: "iam:" + action, resource: resource, operation: action)
            }
        }

        func failure(_ error: ControlPlaneError, action: String, resource: String?, operation: String)
            -> ControlPlaneResponse
        {
            return ControlPlaneResponse(
                status: error.status, headers: [("Content-Type", "text/xml")],
                body: IAMXML.error(
                    code: error.type, message: error.message, status: error.status, requestId: requestId),
                audit: ControlPlaneAuditFacts(
                    action: action, resource: resource, outcome: error.outcome, reason: error.reason,
                    detail: error.detail))
        }

        // MARK: - Authorization

        /// The role's ARN in the caller's account (for a role that does not exist yet, or to name one).
        func arn(roleName: String, path: String = "/") -> String {
            let partition = ARN(caller.claims.roleArn)?.partition ?? "aws"
            return "arn:\(partition):iam::\(caller.account):role\(path)\(roleName)"
        }

        /// Asks the authorizer; a denial becomes IAM's `AccessDenied` (the reason goes to the audit log only).
        func authorize(_ action: String, _ resource: String, keys: [String: [String]] = [:]) throws(ControlPlaneError) {
            let request = AuthorizationRequest(action: "iam:" + action, resources: [resource], requestKeys: keys)
            let (decision, detail) = authorizer.authorizeExplained(caller, request)
            if case .denied(let reason) = decision {
                let principal = SessionIdentity(claims: caller.claims)?.arn ?? caller.claims.roleArn
                throw ControlPlaneError(
                    type: "AccessDenied", status: 403,
                    message: "User: \(principal) is not authorized to perform: iam:\(action) on resource: \(resource)",
                    reason: reason, detail: detail, outcome: "denied")
            }
        }

        /// The existing role `name`, authorized for `action` with its tags as `aws:ResourceTag/…`; NoSuchEntity
        /// (after authorizing the name in the caller's account, so that a missing role and a forbidden one look
        /// alike to a caller without the permission). Role names are per account: another account's role of that
        /// name is no role of the caller's, and its ARN is never shown.
        func existingRole(
            _ name: String, for action: String, _ resource: inout String?, keys: [String: [String]] = [:]
        ) throws(ControlPlaneError) -> StoredRole {
            let found = try api.readRole(name)
            guard let stored = found,
                let storedArn = ARN(stored.document.arn), CodePoints.equal(storedArn.account, caller.account)
            else {
                resource = arn(roleName: name)
                try authorize(action, resource!, keys: keys)
                var error = noSuchRole(name)
                // For the audit log only: someone probing another account's role names.
                if let found { error.detail = "the role named \(name) is \(found.document.arn)" }
                throw error
            }
            resource = stored.document.arn
            var keys = keys
            for tag in stored.document.tags { keys["aws:ResourceTag/" + tag.key] = [tag.value] }
            try authorize(action, stored.document.arn, keys: keys)
            return stored
        }

        func noSuchRole(_ name: String) -> ControlPlaneError {
            ControlPlaneError(
                type: "NoSuchEntity", status: 404, message: "The role with name \(name) cannot be found.",
                reason: "no_such_entity")
        }

        static func requestTagKeys(_ tags: [RoleDocument.Tag]) -> [String: [String]] {
            guard !tags.isEmpty else { return [:] }
            var keys: [String: [String]] = ["aws:TagKeys": tags.map(\.key)]
            for tag in tags { keys["aws:RequestTag/" + tag.key] = [tag.value] }
            return keys
        }

        /// A policy document parameter parsed as `kind`; `MalformedPolicyDocument` naming the JSON path otherwise.
        func policyDocument(_ name: String, kind: PolicyDocument.Kind) throws(ControlPlaneError) -> JSONValue {
            let text = try parameters.required(name)
            guard text.utf8.count <= 131072 else {
                throw IAMParameters.invalid(
                    IAMParameters.fieldName(name), nil, "Member must have length less than or equal to 131072")
            }
            do {
                return try RoleDocument.policyDocument(.string(text), path: "$", kind: kind).json
            } catch {
                throw ControlPlaneError(
                    type: "MalformedPolicyDocument", status: 400,
                    message: "\(name): \(error.path == "$" ? "" : error.path + ": ")\(error.message)",
                    reason: "malformed_policy_document")
            }
        }

        // MARK: - Operations

        func createRole(_ resource: inout String?) throws(ControlPlaneError) -> Answer {
            let name = try parameters.roleName()
            let path = try parameters.path()
            let description = parameters["Description"]
            if let description, description.count > 1000 {
                throw IAMParameters.invalid(
                    "description", description, "Member must have length less than or equal to 1000")
            }
            let maxDuration = try parameters.integer("MaxSessionDuration", in: 3600...43200) ?? 3600
            let tags = try parameters.tags()
            if parameters["PermissionsBoundary"] != nil {
                throw IAMParameters.invalid(
                    "permissionsBoundary", parameters["PermissionsBoundary"],
                    "Anchorage has no managed policies; permissions boundaries are not supported")
            }
            let trust = try policyDocument("AssumeRolePolicyDocument", kind: .trust)
            let roleArn = arn(roleName: name, path: path)
            resource = roleArn
            try authorize("CreateRole", roleArn, keys: Self.requestTagKeys(tags))
            try checkTags(tags, name: name)
            var created: RoleDocument?
            try api.modify(name) { (current) throws(ControlPlaneError) -> RoleDocument? in
                // IAM role names are unique ignoring case; the file system would keep `Admin` and `admin` apart.
                guard current == nil, !api.roleNames().contains(where: { CodePoints.equalIgnoringASCIICase($0, name) })
                else {
                    throw ControlPlaneError(
                        type: "EntityAlreadyExists", status: 409, message: "Role with name \(name) already exists.",
                        reason: "entity_already_exists")
                }
                created = RoleDocument(
                    arn: roleArn, maxSessionDuration: maxDuration, description: description, trustPolicy: trust,
                    tags: tags, createDate: UTCTimestamp.iso8601(now))
                return created
            }
            return Answer(result: try roleXML(created!, element: "Role", modified: now, depth: 2), resource: roleArn)
        }

        func getRole(_ resource: inout String?) throws(ControlPlaneError) -> Answer {
            let name = try parameters.roleName()
            let stored = try existingRole(name, for: "GetRole", &resource)
            return Answer(result: try roleXML(stored, element: "Role", depth: 2), resource: resource)
        }

        func listRoles(_ resource: inout String?) throws(ControlPlaneError) -> Answer {
            let prefix = parameters["PathPrefix"] ?? "/"
            let maxItems = try parameters.integer("MaxItems", in: 1...1000) ?? 100
            resource = "*"
            try authorize("ListRoles", "*")
            // Only the caller's account: another account's roles are not even counted.
            var roles: [StoredRole] = []
            for name in api.roleNames() {
                guard let stored = try? api.readRole(name), let arn = ARN(stored.document.arn),
                    CodePoints.equal(arn.account, caller.account), Self.path(of: arn).hasPrefix(prefix)
                else { continue }
                roles.append(stored)
            }
            let page = try Self.page(roles.map { ($0.role.name, $0) }, marker: parameters["Marker"], maxItems: maxItems)
            var members: [String] = []
            for stored in page.items { members.append(try roleXML(stored, element: "member", depth: 3, tags: false)) }
            var result = IAMXML.element("IsTruncated", page.nextMarker == nil ? "false" : "true", depth: 2)
            result += IAMXML.list("Roles", members, depth: 2)
            if let marker = page.nextMarker { result += IAMXML.element("Marker", marker, depth: 2) }
            return Answer(result: result, resource: "*")
        }

        func updateRole(_ resource: inout String?) throws(ControlPlaneError) -> Answer {
            let name = try parameters.roleName()
            let description = parameters["Description"]
            if let description, description.count > 1000 {
                throw IAMParameters.invalid(
                    "description", description, "Member must have length less than or equal to 1000")
            }
            let maxDuration = try parameters.integer("MaxSessionDuration", in: 3600...43200)
            _ = try existingRole(name, for: "UpdateRole", &resource)
            try api.modify(name) { (current) throws(ControlPlaneError) -> RoleDocument? in
                guard var document = current?.document else { throw noSuchRole(name) }
                if let description { document.description = description }
                if let maxDuration { document.maxSessionDuration = maxDuration }
                return document
            }
            return Answer(result: "", resource: resource)
        }

        func updateAssumeRolePolicy(_ resource: inout String?) throws(ControlPlaneError) -> Answer {
            let name = try parameters.roleName()
            let trust = try policyDocument("PolicyDocument", kind: .trust)
            _ = try existingRole(name, for: "UpdateAssumeRolePolicy", &resource)
            try api.modify(name) { (current) throws(ControlPlaneError) -> RoleDocument? in
                guard var document = current?.document else { throw noSuchRole(name) }
                document.trustPolicy = trust
                return document
            }
            return Answer(result: nil, resource: resource)
        }

        func deleteRole(_ resource: inout String?) throws(ControlPlaneError) -> Answer {
            let name = try parameters.roleName()
            let stored = try existingRole(name, for: "DeleteRole", &resource)
            try api.modify(name) { (current) throws(ControlPlaneError) -> RoleDocument? in
                guard let current else { throw noSuchRole(name) }
                guard current.document.inlinePolicies.isEmpty else {
                    throw ControlPlaneError(
                        type: "DeleteConflict", status: 409,
                        message: "Cannot delete entity, must delete policies first.",
                        reason: "delete_conflict")
                }
                // A profile listing a missing role would not load: the profile must let go of it first.
                if let profile = api.profilesListing(stored.document.arn).first {
                    throw ControlPlaneError(
                        type: "DeleteConflict", status: 409,
                        message: "Cannot delete entity, must remove the role from profile \(profile) first.",
                        reason: "delete_conflict")
                }
                return nil
            }
            return Answer(result: nil, resource: resource)
        }

        func tagRole(_ resource: inout String?) throws(ControlPlaneError) -> Answer {
            let name = try parameters.roleName()
            let tags = try parameters.tags()
            guard !tags.isEmpty else { throw IAMParameters.invalid("tags", nil, "Member must not be null") }
            _ = try existingRole(name, for: "TagRole", &resource, keys: Self.requestTagKeys(tags))
            try api.modify(name) { (current) throws(ControlPlaneError) -> RoleDocument? in
                guard var document = current?.document else { throw noSuchRole(name) }
                for tag in tags {
                    // A key differing only in case replaces the tag, as in IAM: the role never gains a second
                    // value for one (case-insensitive) condition key.
                    if let index = document.tags.firstIndex(where: {
                        CodePoints.equalIgnoringASCIICase($0.key, tag.key)
                    }) {
                        document.tags[index] = tag
                    } else {
                        document.tags.append(tag)
                    }
                }
                try checkTags(document.tags, name: name)
                return document
            }
            return Answer(result: nil, resource: resource)
        }

        func untagRole(_ resource: inout String?) throws(ControlPlaneError) -> Answer {
            let name = try parameters.roleName()
            let keys = try parameters.tagKeys()
            _ = try existingRole(name, for: "UntagRole", &resource, keys: ["aws:TagKeys": keys])
            try api.modify(name) { (current) throws(ControlPlaneError) -> RoleDocument? in
                guard var document = current?.document else { throw noSuchRole(name) }
                document.tags.removeAll { tag in keys.contains { CodePoints.equalIgnoringASCIICase($0, tag.key) } }
                return document
            }
            return Answer(result: nil, resource: resource)
        }

        func listRoleTags(_ resource: inout String?) throws(ControlPlaneError) -> Answer {
            let name = try parameters.roleName()
            let maxItems = try parameters.integer("MaxItems", in: 1...1000) ?? 100
            let stored = try existingRole(name, for: "ListRoleTags", &resource)
            let page = try Self.page(
                stored.document.tags.map { ($0.key, $0) }, marker: parameters["Marker"], maxItems: maxItems,
                sorted: false)
            var result = IAMXML.tags(page.items.map { ($0.key, $0.value) }, depth: 2)
            result += IAMXML.element("IsTruncated", page.nextMarker == nil ? "false" : "true", depth: 2)
            if let marker = page.nextMarker { result += IAMXML.element("Marker", marker, depth: 2) }
            return Answer(result: result, resource: resource)
        }

        func putRolePolicy(_ resource: inout String?) throws(ControlPlaneError) -> Answer {
            let name = try parameters.roleName()
            let policyName = try parameters.policyName()
            let document = try policyDocument("PolicyDocument", kind: .identity)
            _ = try existingRole(name, for: "PutRolePolicy", &resource)
            try api.modify(name) { (current) throws(ControlPlaneError) -> RoleDocument? in
                guard var role = current?.document else { throw noSuchRole(name) }
                let policy = RoleDocument.InlinePolicy(name: policyName, document: document)
                if let index = role.inlinePolicies.firstIndex(where: { CodePoints.equal($0.name, policyName) }) {
                    role.inlinePolicies[index] = policy
                } else {
                    role.inlinePolicies.append(policy)
                }
                let size = role.inlinePolicies.reduce(0) { $0 + RoleDocument.policySize($1.document) }
                guard size <= RoleDocument.inlinePolicyAggregateLimit else {
                    throw ControlPlaneError(
                        type: "LimitExceeded", status: 409,
                        message:
                            "Maximum policy size of \(RoleDocument.inlinePolicyAggregateLimit) bytes exceeded for role \(name)",
                        reason: "limit_exceeded")
                }
                return role
            }
            return Answer(result: nil, resource: resource)
        }

        func getRolePolicy(_ resource: inout String?) throws(ControlPlaneError) -> Answer {
            let name = try parameters.roleName()
            let policyName = try parameters.policyName()
            let stored = try existingRole(name, for: "GetRolePolicy", &resource)
            guard let policy = stored.document.inlinePolicies.first(where: { CodePoints.equal($0.name, policyName) })
            else { throw noSuchPolicy(policyName) }
            let result =
                IAMXML.element("RoleName", stored.role.name, depth: 2)
                + IAMXML.element("PolicyName", policy.name, depth: 2)
                + IAMXML.element(
                    "PolicyDocument", QueryParameters.percentEncode(JSONWriter.string(policy.document)), depth: 2)
            return Answer(result: result, resource: resource)
        }

        func deleteRolePolicy(_ resource: inout String?) throws(ControlPlaneError) -> Answer {
            let name = try parameters.roleName()
            let policyName = try parameters.policyName()
            _ = try existingRole(name, for: "DeleteRolePolicy", &resource)
            try api.modify(name) { (current) throws(ControlPlaneError) -> RoleDocument? in
                guard var role = current?.document else { throw noSuchRole(name) }
                guard let index = role.inlinePolicies.firstIndex(where: { CodePoints.equal($0.name, policyName) })
                else {
                    throw noSuchPolicy(policyName)
                }
                role.inlinePolicies.remove(at: index)
                return role
            }
            return Answer(result: nil, resource: resource)
        }

        func listRolePolicies(_ resource: inout String?) throws(ControlPlaneError) -> Answer {
            let name = try parameters.roleName()
            let maxItems = try parameters.integer("MaxItems", in: 1...1000) ?? 100
            let stored = try existingRole(name, for: "ListRolePolicies", &resource)
            let page = try Self.page(
                stored.document.inlinePolicies.map { ($0.name, $0.name) }, marker: parameters["Marker"],
                maxItems: maxItems)
            let indent = String(repeating: "  ", count: 3)
            var result = IAMXML.list(
                "PolicyNames", page.items.map { indent + "<member>\(XMLText.escape($0))</member>\n" }, depth: 2)
            result += IAMXML.element("IsTruncated", page.nextMarker == nil ? "false" : "true", depth: 2)
            if let marker = page.nextMarker { result += IAMXML.element("Marker", marker, depth: 2) }
            return Answer(result: result, resource: resource)
        }

        // MARK: - Helpers

        func noSuchPolicy(_ name: String) -> ControlPlaneError {
            ControlPlaneError(
                type: "NoSuchEntity", status: 404, message: "The role policy with name \(name) cannot be found.",
                reason: "no_such_entity")
        }

        func checkTags(_ tags: [RoleDocument.Tag], name: String) throws(ControlPlaneError) {
            guard tags.count <= RoleDocument.tagLimit else {
                throw ControlPlaneError(
                    type: "LimitExceeded", status: 409,
                    message:
                        "The number of tags has reached the maximum limit of \(RoleDocument.tagLimit) for role \(name).",
                    reason: "limit_exceeded")
            }
            for (index, tag) in tags.enumerated()
            where tags[..<index].contains(where: { CodePoints.equal($0.key, tag.key) }) {
                throw IAMParameters.invalid(
                    "tags", tag.key, "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
            }
        }

        /// The `Path` of a role ARN: what lies between `role` and the name (`/` when nothing does).
        static func path(of arn: ARN) -> String {
            let parts = arn.resource.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count > 2 else { return "/" }
            return "/" + parts[1..<(parts.count - 1)].joined(separator: "/") + "/"
        }

        /// One page of `items` (keyed, sorted by key unless `sorted` is false) from `marker` (the key of the first
        /// item of the page, as the previous page returned it).
        static func page<Item>(
            _ items: [(key: String, item: Item)], marker: String?, maxItems: Int, sorted: Bool = true
        ) throws(ControlPlaneError) -> (items: [Item], nextMarker: String?) {
            let ordered =
                sorted ? items.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) } : items
            var start = 0
            if let marker {
                guard let index = ordered.firstIndex(where: { CodePoints.equal($0.key, marker) }) else {
                    throw IAMParameters.invalid("marker", marker, "Marker does not name an item of this listing")
                }
                start = index
            }
            let end = min(ordered.count, start + maxItems)
            return (ordered[start..<end].map(\.item), end < ordered.count ? ordered[end].key : nil)
        }

        func roleXML(_ stored: StoredRole, element: String, depth: Int, tags: Bool = true) throws(ControlPlaneError)
            -> String
        {
            try roleXML(stored.document, element: element, modified: stored.modified, depth: depth, tags: tags)
        }

        /// `<Role>` (or `<member>`) as IAM writes it: Path, RoleName, RoleId, Arn, CreateDate,
        /// AssumeRolePolicyDocument (URL-encoded JSON), Description, MaxSessionDuration, Tags.
        func roleXML(_ document: RoleDocument, element: String, modified: Int64, depth: Int, tags: Bool = true)
            throws(ControlPlaneError) -> String
        {
            var issues: [SchemaError] = []
            guard let role = RoleDocument.decode(document.json, issues: &issues)?.role else {
                throw IAMRoleAPI.serviceFailure("role \(document.arn) does not decode")
            }
            let indent = String(repeating: "  ", count: depth)
            var xml = indent + "<\(element)>\n"
            xml += IAMXML.element("Path", Self.path(of: role.arn), depth: depth + 1)
            xml += IAMXML.element("RoleName", role.name, depth: depth + 1)
            xml += IAMXML.element("RoleId", role.roleId, depth: depth + 1)
            xml += IAMXML.element("Arn", document.arn, depth: depth + 1)
            xml += IAMXML.element("CreateDate", document.createDate ?? UTCTimestamp.iso8601(modified), depth: depth + 1)
            xml += IAMXML.element(
                "AssumeRolePolicyDocument", QueryParameters.percentEncode(JSONWriter.string(document.trustPolicy)),
                depth: depth + 1)
            if let description = document.description {
                xml += IAMXML.element("Description", description, depth: depth + 1)
            }
            xml += IAMXML.element("MaxSessionDuration", String(document.maxSessionDuration), depth: depth + 1)
            if tags, !document.tags.isEmpty {
                xml += IAMXML.tags(document.tags.map { ($0.key, $0.value) }, depth: depth + 1)
            }
            return xml + indent + "</\(element)>\n"
        }
    }
}
