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
        var contiguous = text
        guard let parts = contiguous.withUTF8(Self.parts) else { return nil }
        (partition, service, region, account, resource) = parts
        self.text = text
    }

    /// The five parts after `arn:`, in one pass over the bytes: printable ASCII only, and the first five colons (the
    /// resource keeps any further colons).
    private static func parts(
        _ utf8: UnsafeBufferPointer<UInt8>
    ) -> (String, String, String, String, String)? {
        var colons: (Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0)
        var found = 0
        for (offset, byte) in utf8.enumerated() {
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
        }
        guard found == 5, colons.0 == 3, utf8[0] == UInt8(ascii: "a"), utf8[1] == UInt8(ascii: "r"),
            utf8[2] == UInt8(ascii: "n"), colons.1 > colons.0 + 1, colons.2 > colons.1 + 1, utf8.count > colons.4 + 1
        else { return nil }
        func part(_ from: Int, _ to: Int) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: utf8[from..<to]), as: UTF8.self)
        }
        return (
            part(colons.0 + 1, colons.1), part(colons.1 + 1, colons.2), part(colons.2 + 1, colons.3),
            part(colons.3 + 1, colons.4), part(colons.4 + 1, utf8.count)
        )
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
