/// A distinguished-name attribute type that Anchorage recognises for principal tags.
///
/// AWS does not publish its list of "supported RDNs". Ours, with OpenSSL short names (the names
/// `openssl x509 -subject` prints and that become tag keys such as `x509Subject/ST`):
///
/// | short name             | OID                          | meaning                       |
/// |------------------------|------------------------------|-------------------------------|
/// | CN                     | 2.5.4.3                      | common name                   |
/// | SN                     | 2.5.4.4                      | surname                       |
/// | serialNumber           | 2.5.4.5                      | subject serial number         |
/// | C                      | 2.5.4.6                      | country                       |
/// | L                      | 2.5.4.7                      | locality                      |
/// | ST                     | 2.5.4.8                      | state or province             |
/// | street                 | 2.5.4.9                      | street address                |
/// | O                      | 2.5.4.10                     | organization                  |
/// | OU                     | 2.5.4.11                     | organizational unit           |
/// | title                  | 2.5.4.12                     | title                         |
/// | postalCode             | 2.5.4.17                     | postal code                   |
/// | name                   | 2.5.4.41                     | name                          |
/// | GN                     | 2.5.4.42                     | given name                    |
/// | initials               | 2.5.4.43                     | initials                      |
/// | generationQualifier    | 2.5.4.44                     | generation qualifier          |
/// | dnQualifier            | 2.5.4.46                     | DN qualifier                  |
/// | pseudonym              | 2.5.4.65                     | pseudonym                     |
/// | organizationIdentifier | 2.5.4.97                     | organization identifier       |
/// | UID                    | 0.9.2342.19200300.100.1.1    | user id                       |
/// | DC                     | 0.9.2342.19200300.100.1.25   | domain component              |
/// | emailAddress           | 1.2.840.113549.1.9.1         | e-mail address (PKCS #9)      |
///
/// `serialNumber` keeps OpenSSL's spelling (not `SERIALNUMBER`): the crypto layer fills names
/// from OpenSSL, and one spelling everywhere beats a translation table. Mapping specifiers are
/// matched case-insensitively, so a profile that says `SERIALNUMBER` still selects it.
/// Attributes not in the table (e.g. `businessCategory`) produce no tag.
public struct X509AttributeType: Hashable, Sendable {
    /// OpenSSL short name, used in tag keys.
    public var shortName: String
    /// Dotted object identifier.
    public var oid: String

    /// Builds a type; recognition is decided by membership in ``recognised``.
    public init(shortName: String, oid: String) {
        self.shortName = shortName
        self.oid = oid
    }

    /// Common name, the attribute source identities are built from.
    public static let commonName = X509AttributeType(shortName: "CN", oid: "2.5.4.3")

    /// The recognised types, in the order of the table above.
    public static let recognised: [X509AttributeType] = [
        .init(shortName: "CN", oid: "2.5.4.3"),
        .init(shortName: "SN", oid: "2.5.4.4"),
        .init(shortName: "serialNumber", oid: "2.5.4.5"),
        .init(shortName: "C", oid: "2.5.4.6"),
        .init(shortName: "L", oid: "2.5.4.7"),
        .init(shortName: "ST", oid: "2.5.4.8"),
        .init(shortName: "street", oid: "2.5.4.9"),
        .init(shortName: "O", oid: "2.5.4.10"),
        .init(shortName: "OU", oid: "2.5.4.11"),
        .init(shortName: "title", oid: "2.5.4.12"),
        .init(shortName: "postalCode", oid: "2.5.4.17"),
        .init(shortName: "name", oid: "2.5.4.41"),
        .init(shortName: "GN", oid: "2.5.4.42"),
        .init(shortName: "initials", oid: "2.5.4.43"),
        .init(shortName: "generationQualifier", oid: "2.5.4.44"),
        .init(shortName: "dnQualifier", oid: "2.5.4.46"),
        .init(shortName: "pseudonym", oid: "2.5.4.65"),
        .init(shortName: "organizationIdentifier", oid: "2.5.4.97"),
        .init(shortName: "UID", oid: "0.9.2342.19200300.100.1.1"),
        .init(shortName: "DC", oid: "0.9.2342.19200300.100.1.25"),
        .init(shortName: "emailAddress", oid: "1.2.840.113549.1.9.1"),
    ]

    /// The recognised type with this short name, compared case-insensitively.
    public static func named(_ shortName: String) -> X509AttributeType? {
        return recognised.first { CodePoints.equalIgnoringASCIICase($0.shortName, shortName) }
    }

    /// The recognised type of an attribute: by OID when it has one, else by short name.
    public static func of(_ attribute: AttributeTypeAndValue) -> X509AttributeType? {
        attribute.oid.isEmpty ? named(attribute.shortName) : recognised.first { $0.oid == attribute.oid }
    }
}
