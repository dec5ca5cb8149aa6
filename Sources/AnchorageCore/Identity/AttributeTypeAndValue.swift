/// One `type=value` pair of a distinguished name, as the crypto layer decoded it.
public struct AttributeTypeAndValue: Hashable, Sendable {
    /// OpenSSL short name (`CN`, `OU`, `serialNumber`, …) or, for a type OpenSSL has no name for,
    /// the dotted OID.
    public var shortName: String
    /// Dotted OID (`2.5.4.3`); empty when unknown (e.g. built from a short name in tests).
    public var oid: String
    /// The value as UTF-8 text.
    public var value: String

    /// Builds an attribute as decoded from a certificate.
    public init(shortName: String, oid: String, value: String) {
        self.shortName = shortName
        self.oid = oid
        self.value = value
    }
}
