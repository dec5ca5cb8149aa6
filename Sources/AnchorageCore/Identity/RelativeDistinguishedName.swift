/// One RDN: a set of attributes (usually exactly one; `CN=a+UID=b` has two).
public struct RelativeDistinguishedName: Hashable, Sendable {
    /// Attributes in encoding order.
    public var attributes: [AttributeTypeAndValue]

    /// Builds an RDN from its attributes in encoding order.
    public init(_ attributes: [AttributeTypeAndValue]) {
        self.attributes = attributes
    }
}
