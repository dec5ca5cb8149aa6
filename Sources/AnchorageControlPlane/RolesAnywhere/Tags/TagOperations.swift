import AnchorageConfig
import AnchorageCore

/// TagResource, UntagResource and ListTagsForResource on trust anchors, profiles and CRLs. Tags live in the
/// resource's own file (`anchor.json`, the profile file, the CRL's sidecar).
struct TagOperations {
    let store: RolesAnywhereStore

    func tag(_ call: RolesAnywhereCall) throws(ControlPlaneError) -> RolesAnywhereResult {
        let body = try call.body()
        let arn = try Self.resourceArn(body.string("resourceArn"))
        let tags = try body.require("tags", try RolesAnywhereJSON.tags(body))
        try store.mutate(field: { _ in "tags" }) { () throws(ControlPlaneError) in
            let resource = try find(arn, call)
            try call.authorize(arn, resourceTags: resource.tags, requestTags: tags)
            var merged = resource.tags
            for tag in tags {
                if let index = merged.firstIndex(where: { $0.key == tag.key }) {
                    merged[index] = tag
                } else {
                    merged.append(tag)
                }
            }
            guard merged.count <= ResourceTag.maximumCount else { throw RolesAnywhereErrors.tooManyTags(merged.count) }
            return (
                ConfigurationChange(
                    summary: "tagging \(arn)", operation: resource.writing(tags: merged, now: call.now)),
                ()
            )
        }
        return .created(.object([]))
    }

    func untag(_ call: RolesAnywhereCall) throws(ControlPlaneError) -> RolesAnywhereResult {
        let body = try call.body()
        let arn = try Self.resourceArn(body.string("resourceArn"))
        let keys = try body.require("tagKeys", try body.strings("tagKeys", maximumCount: 200))
        for (index, key) in keys.enumerated() {
            if let problem = ResourceTag.problem(key: key) {
                throw RolesAnywhereErrors.validation("tagKeys[\(index)]", problem)
            }
        }
        try store.mutate(field: { _ in "tagKeys" }) { () throws(ControlPlaneError) in
            let resource = try find(arn, call)
            try call.authorize(arn, resourceTags: resource.tags, tagKeys: keys)
            let kept = resource.tags.filter { !keys.contains($0.key) }
            guard kept.count != resource.tags.count else { return (nil, ()) }
            return (
                ConfigurationChange(
                    summary: "untagging \(arn)", operation: resource.writing(tags: kept, now: call.now)),
                ()
            )
        }
        return .ok(.object([]))
    }

    func list(_ call: RolesAnywhereCall) throws(ControlPlaneError) -> RolesAnywhereResult {
        let arn = try Self.resourceArn(call.queryValue("resourceArn"))
        let resource = try find(arn, call)
        try call.authorize(arn, resourceTags: resource.tags)
        return .ok(RolesAnywhereJSON.wrap("tags", ResourceTag.json(resource.tags)))
    }

    /// The resource, or — once the caller is known to be allowed on that ARN — ResourceNotFoundException.
    private func find(_ arn: String, _ call: RolesAnywhereCall) throws(ControlPlaneError) -> TaggedResource {
        guard let resource = TaggedResource.find(arn, store: store, call: call) else {
            try call.authorize(arn)
            throw RolesAnywhereErrors.notFound("resource")
        }
        return resource
    }

    /// `resourceArn`: a Roles Anywhere ARN (1-1011 characters).
    static func resourceArn(_ value: String?) throws(ControlPlaneError) -> String {
        guard let value else { throw RolesAnywhereErrors.validation("resourceArn", "is required") }
        guard (1...1011).contains(value.count), let arn = ARN(value), arn.service == "rolesanywhere" else {
            throw RolesAnywhereErrors.validation("resourceArn", "must be a Roles Anywhere resource ARN")
        }
        return value
    }
}
