/// An Amazon Resource Name: `arn:partition:service:region:account:resource`.
public struct ARN: Hashable, Sendable, CustomStringConvertible {
    public var partition: String
    public var service: String
    public var region: String
    public var account: String
    /// Everything after the fifth colon, e.g. `role/web-reader` or `trust-anchor/<uuid>`.
    public var resource: String

    /// Parses `text`; nil unless it has the six colon-separated parts, `arn` first, and a non-empty
    /// partition, service and resource.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", !parts[1].isEmpty, !parts[2].isEmpty, !parts[5].isEmpty
        else { return nil }
        guard text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else { return nil }
        partition = String(parts[1])
        service = String(parts[2])
        region = String(parts[3])
        account = String(parts[4])
        resource = String(parts[5])
    }

    public var description: String { "arn:\(partition):\(service):\(region):\(account):\(resource)" }

    /// The resource type before the first `/` (`role`, `trust-anchor`, `profile`).
    public var resourceType: String { String(resource.prefix { $0 != "/" }) }

    /// True when the resource is `type/<non-empty id or path>`, e.g. `trust-anchor/4a1c…`.
    public func hasResource(ofType type: String) -> Bool {
        resource.hasPrefix(type + "/") && !resourceName.isEmpty
    }

    /// The last path segment of the resource (`web-reader` in `role/team/web-reader`).
    public var resourceName: String {
        String(resource.split(separator: "/", omittingEmptySubsequences: false).last ?? "")
    }
}
