import AnchorageCore
import Testing

@Suite struct IdentityPrincipalTagsTests {
    /// The user guide's example certificate.
    static let alice = CertificateIdentity(
        subject: DistinguishedName([("CN", "Alice")]),
        issuer: DistinguishedName([
            ("C", "US"), ("O", "Amazon"), ("OU", "IAM"), ("ST", "Washington"), ("CN", "RolesAnywhere"),
            ("L", "Seattle"),
        ]),
        sanDNSNames: ["example.com", "second.example.com"],
        sanURIs: ["spiffe://example.com/workload/alice", "spiffe://example.com/other"],
        sanDirectoryNames: [DistinguishedName([("CN", "Alice")]), DistinguishedName([("CN", "Bob")])],
        serialNumberBytes: [0x01, 0x23])

    static func dictionary(_ tags: [(key: String, value: String)]) -> [String: String] {
        Dictionary(tags.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
    }

    @Test func userGuideDefaultMapping() {
        let tags = PrincipalTags.derive(from: Self.alice, mappings: nil)
        #expect(tags.count == 10)
        #expect(
            Self.dictionary(tags) == [
                "x509Subject/CN": "Alice",
                "x509Issuer/C": "US", "x509Issuer/O": "Amazon", "x509Issuer/OU": "IAM", "x509Issuer/ST": "Washington",
                "x509Issuer/L": "Seattle", "x509Issuer/CN": "RolesAnywhere",
                "x509SAN/DNS": "example.com", "x509SAN/URI": "spiffe://example.com/workload/alice",
                "x509SAN/Name/CN": "Alice",
            ])
        // Certificate order within a field.
        #expect(
            tags.map(\.key).prefix(7) == [
                "x509Subject/CN", "x509Issuer/C", "x509Issuer/O", "x509Issuer/OU", "x509Issuer/ST", "x509Issuer/CN",
                "x509Issuer/L",
            ])
    }

    @Test func multiValuedAttributeJoinsInCertificateOrder() {
        var identity = Self.alice
        identity.subject = DistinguishedName([
            ("CN", "Alice"), ("OU", "Security"), ("OU", "Engineering"), ("O", "Example"), ("OU", "Research"),
        ])
        let tags = Self.dictionary(PrincipalTags.derive(from: identity, mappings: nil))
        #expect(tags["x509Subject/OU"] == "Security/Engineering/Research")
        #expect(tags["x509Subject/O"] == "Example")
    }

    @Test func multiValuedRDNContributesEachAttribute() {
        var identity = Self.alice
        identity.subject = DistinguishedName(rdns: [
            RelativeDistinguishedName([
                AttributeTypeAndValue(shortName: "CN", oid: "2.5.4.3", value: "Alice"),
                AttributeTypeAndValue(shortName: "UID", oid: "0.9.2342.19200300.100.1.1", value: "alice01"),
            ])
        ])
        let tags = Self.dictionary(PrincipalTags.derive(from: identity, mappings: nil))
        #expect(tags["x509Subject/CN"] == "Alice")
        #expect(tags["x509Subject/UID"] == "alice01")
        #expect(identity.subject.rfc4514String == "CN=Alice+UID=alice01")
    }

    @Test func customMappingReplacesOnlyTheListedField() throws {
        let mappings = try AttributeMapping.parse(
            try JSONParser.parse(
                #"[{"certificateField": "x509Issuer", "mappingRules": [{"specifier": "CN"}, {"specifier": "o"}]}]"#),
            path: "$.attributeMappings")
        let tags = PrincipalTags.derive(from: Self.alice, mappings: mappings)
        #expect(
            tags.map(\.key) == [
                "x509Subject/CN", "x509Issuer/CN", "x509Issuer/O", "x509SAN/DNS", "x509SAN/URI", "x509SAN/Name/CN",
            ])
    }

    @Test func customSANMappingAndEmptyField() throws {
        let mappings = try AttributeMapping.parse(
            try JSONParser.parse(
                """
                [{"certificateField": "x509SAN", "mappingRules": [{"specifier": "URI"}, {"specifier": "Name/CN"}]},
                 {"certificateField": "x509Subject", "mappingRules": []}]
                """), path: "$")
        let tags = PrincipalTags.derive(from: Self.alice, mappings: mappings)
        #expect(!tags.contains { $0.key.hasPrefix("x509Subject/") })
        #expect(!tags.contains { $0.key == "x509SAN/DNS" })
        #expect(Self.dictionary(tags)["x509SAN/URI"] == "spiffe://example.com/workload/alice")
        #expect(Self.dictionary(tags)["x509SAN/Name/CN"] == "Alice")
    }

    @Test(arguments: [
        ("Alice*", false), ("Alice (admin)", false), ("a\u{0}b", false), ("Zoë Ünal", true), ("user@example.com", true),
        ("", true), (String(repeating: "x", count: 256), true), (String(repeating: "x", count: 257), false),
        ("a+b=c:d/e_f.g-h", true), ("tab\there", false),
    ])
    func invalidTagValuesAreDropped(_ value: String, _ kept: Bool) {
        var identity = Self.alice
        identity.subject = DistinguishedName([("CN", value), ("O", "Kept")])
        let tags = Self.dictionary(PrincipalTags.derive(from: identity, mappings: nil))
        #expect((tags["x509Subject/CN"] == value) == kept)
        #expect(tags["x509Subject/O"] == "Kept")
    }

    @Test func unrecognisedAttributesProduceNoTag() {
        var identity = Self.alice
        identity.subject = DistinguishedName(rdns: [
            RelativeDistinguishedName([
                AttributeTypeAndValue(shortName: "businessCategory", oid: "2.5.4.15", value: "x")
            ]),
            RelativeDistinguishedName([AttributeTypeAndValue(shortName: "1.2.3.4", oid: "1.2.3.4", value: "y")]),
            RelativeDistinguishedName([AttributeTypeAndValue(shortName: "serialNumber", oid: "2.5.4.5", value: "42")]),
        ])
        let keys = PrincipalTags.derive(from: identity, mappings: nil).map(\.key).filter {
            $0.hasPrefix("x509Subject/")
        }
        #expect(keys == ["x509Subject/serialNumber"])
    }

    @Test func atMostFiftyTags() {
        var identity = Self.alice
        identity.subject = DistinguishedName(X509AttributeType.recognised.map { (shortName: $0.shortName, value: "s") })
        identity.issuer = DistinguishedName(X509AttributeType.recognised.map { (shortName: $0.shortName, value: "i") })
        identity.sanDirectoryNames = [identity.subject]
        let tags = PrincipalTags.derive(from: identity, mappings: nil)
        #expect(X509AttributeType.recognised.count * 3 + 2 > 50)
        #expect(tags.count == 50)
        #expect(tags.first?.key == "x509Subject/CN")
    }

    @Test func noSANsNoSANTags() {
        let identity = CertificateIdentity(
            subject: DistinguishedName([("CN", "a")]), issuer: DistinguishedName([("CN", "b")]), serialNumberBytes: [1])
        #expect(PrincipalTags.derive(from: identity, mappings: nil).map(\.key) == ["x509Subject/CN", "x509Issuer/CN"])
    }

    @Test func rfc4514StringReversesAndEscapes() {
        let dn = DistinguishedName([("C", "US"), ("O", "Example, Inc."), ("CN", " #Alice+Bob ")])
        #expect(dn.rfc4514String == #"CN=\ #Alice\+Bob\ ,O=Example\, Inc.,C=US"#)
        #expect(DistinguishedName([("CN", "#x")]).rfc4514String == ##"CN=\#x"##)
    }
}
