/// An Amazon Resource Name: `arn:partition:service:region:account:resource`.
public struct ARN: Hashable, Sendable, CustomStringConvertible {
    public var partition: String { didSet { updateText() } }
    public var service: String { didSet { updateText() } }
    public var region: String { didSet { updateText() } }
    public var account: String { didSet { updateText() } }
    /// Everything after the fifth colon, e.g. `role/web-reader` or `trust-anchor/<uuid>`.
    public var resource: String { didSet { updateText() } }
    /// ``description``, kept with the parts: ARNs are formatted on every request.
    private var text: String

    /// Parses `text`; nil unless it has the six colon-separated parts, `arn` first, and a non-empty
    /// partition, service and resource.
    public init?(_ text: String) {
        // One pass over the bytes: printable ASCII only (so byte offsets are character offsets), and the
        // first five colons; the resource keeps any further colons.
        var colons: (Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0)
        var found = 0
        var offset = 0
        for byte in text.utf8 {
            guard byte > 0x20 && byte < 0x7F else { return nil }
            if byte == UInt8(ascii: ":") && found < 5 {
                switch found {
                case 0: colons.0 = offset
                case 1: colons.1 = offset
                case 2: colons.2 = offset
                case 3: colons.3 = offset
                default: colons.4 = offset
                }
                found += 1
            }
            offset += 1
        }
        guard found == 5 else { return nil }
        let utf8 = text.utf8
        func part(_ from: Int, _ to: Int) -> Substring {
            text[utf8.index(utf8.startIndex, offsetBy: from)..<utf8.index(utf8.startIndex, offsetBy: to)]
        }
        guard part(0, colons.0) == "arn", colons.1 > colons.0 + 1, colons.2 > colons.1 + 1, offset > colons.4 + 1
        else { return nil }
        partition = String(part(colons.0 + 1, colons.1))
        service = String(part(colons.1 + 1, colons.2))
        region = String(part(colons.2 + 1, colons.3))
        account = String(part(colons.3 + 1, colons.4))
        resource = String(part(colons.4 + 1, offset))
        self.text = text
    }

    private mutating func updateText() {
        text = "arn:\(partition):\(service):\(region):\(account):\(resource)"
    }

    public var description: String { text }

    /// The resource type before the first `/` (`role`, `trust-anchor`, `profile`).
    public var resourceType: String { String(resource.prefix { $0 != "/" }) }

    /// True when the resource is `type/<non-empty id or path>`, e.g. `trust-anchor/4a1c…`.
    public func hasResource(ofType type: String) -> Bool {
        resource.hasPrefix(type + "/") && !resourceName.isEmpty
    }

    /// The last path segment of the resource (`web-reader` in `role/team/web-reader`).
    public var resourceName: String {
        guard let slash = resource.utf8.lastIndex(of: UInt8(ascii: "/")) else { return resource }
        return String(resource[resource.utf8.index(after: slash)...])
    }
}
