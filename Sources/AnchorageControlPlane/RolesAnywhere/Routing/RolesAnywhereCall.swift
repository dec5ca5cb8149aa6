import AnchorageConfig
import AnchorageCore
import Foundation

/// One control-plane call while it runs: who calls, what the request carries, and what the audit record will
/// say about the resource. Operations read their input from it and authorize through it.
final class RolesAnywhereCall {
    let operation: RolesAnywhereOperation
    let caller: ControlPlaneCaller
    let authorizer: any ControlPlaneAuthorizing
    /// The path's resource id (`/profile/{profileId}`), when the route has one.
    var pathId: String?
    let query: [(name: String, value: String)]
    let rawBody: [UInt8]
    /// Seconds since the epoch, for `createdAt`/`updatedAt`.
    let now: Int64
    /// The ARN the audit record names (set as soon as the operation knows it).
    var resource: String?

    init(
        operation: RolesAnywhereOperation, caller: ControlPlaneCaller, authorizer: any ControlPlaneAuthorizing,
        pathId: String?, query: [(name: String, value: String)], rawBody: [UInt8], now: Int64
    ) {
        self.operation = operation
        self.caller = caller
        self.authorizer = authorizer
        self.pathId = pathId
        self.query = query
        self.rawBody = rawBody
        self.now = now
    }

    /// The JSON body.
    func body() throws(ControlPlaneError) -> RequestBody { try RequestBody(rawBody) }

    /// The last value of query parameter `name`.
    func queryValue(_ name: String) -> String? { query.last { $0.name == name }?.value }

    /// The path's id, checked against the model's `Uuid` shape (36 characters, lowercase hex groups).
    func resourceId(_ field: String) throws(ControlPlaneError) -> String {
        guard let pathId, Self.isUUID(pathId) else {
            throw RolesAnywhereErrors.validation(field, "must be a 36-character UUID")
        }
        return pathId
    }

    /// Asks the authorizer whether the caller may run this operation on `resource`; throws AccessDenied if not.
    /// `resourceTags` become `aws:ResourceTag/<key>`; `requestTags` become `aws:RequestTag/<key>` and
    /// `aws:TagKeys` (which `tagKeys` alone sets for UntagResource).
    func authorize(
        _ resource: String, resourceTags: [ResourceTag] = [], requestTags: [ResourceTag]? = nil,
        tagKeys: [String]? = nil
    ) throws(ControlPlaneError) {
        self.resource = resource
        var keys: [String: [String]] = [:]
        for tag in resourceTags { keys["aws:ResourceTag/" + tag.key] = [tag.value] }
        if let requestTags {
            for tag in requestTags { keys["aws:RequestTag/" + tag.key] = [tag.value] }
            keys["aws:TagKeys"] = requestTags.map(\.key)
        }
        if let tagKeys { keys["aws:TagKeys"] = tagKeys }
        let request = AuthorizationRequest(action: operation.action, resources: [resource], requestKeys: keys)
        let (decision, detail) = authorizer.authorizeExplained(caller, request)
        if case .denied(let reason) = decision {
            throw RolesAnywhereErrors.accessDenied(reason: reason, detail: detail)
        }
    }

    /// `arn:<partition>:rolesanywhere:<region>:<account>:<type>/<id>` in the caller's account and region.
    func arn(_ type: String, _ id: String) -> String {
        "arn:\(Self.partition(region: caller.region)):rolesanywhere:\(caller.region):\(caller.account):\(type)/\(id)"
    }

    /// Whether `arn` is in the caller's account and region: the only resources a caller can see.
    func owns(_ arn: ARN) -> Bool {
        CodePoints.equal(arn.account, caller.account) && CodePoints.equal(arn.region, caller.region)
    }

    /// The partition a region belongs to (`aws`, `aws-cn`, `aws-us-gov`).
    static func partition(region: String) -> String {
        if region.hasPrefix("cn-") { return "aws-cn" }
        if region.hasPrefix("us-gov-") { return "aws-us-gov" }
        return "aws"
    }

    /// The model's `Uuid`: 8-4-4-4-12 lowercase hex.
    static func isUUID(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 36 else { return false }
        for (index, byte) in bytes.enumerated() {
            if [8, 13, 18, 23].contains(index) {
                guard byte == UInt8(ascii: "-") else { return false }
            } else {
                guard
                    (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                        || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
                else { return false }
            }
        }
        return true
    }

    /// A new resource id: a random UUID, as AWS makes.
    static func newId() -> String { UUID().uuidString.lowercased() }
}

extension RolesAnywhereCall {
    /// This call, naming resource `id` as its path would (operations that take the id in the body).
    func settingPathId(_ id: String) -> RolesAnywhereCall {
        pathId = id
        return self
    }
}
