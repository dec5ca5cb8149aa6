/// One entry of a profile's `attributeMappings`: which attributes of one certificate field become
/// principal tags.
///
/// JSON shape (the AWS `AttributeMapping`):
/// `{"certificateField": "x509Subject", "mappingRules": [{"specifier": "CN"}, {"specifier": "OU"}]}`.
public struct AttributeMapping: Hashable, Sendable {
    /// The certificate field a mapping applies to; the raw value is the tag-key prefix.
    public enum CertificateField: String, CaseIterable, Sendable {
        case x509Subject
        case x509Issuer
        case x509SAN
    }

    /// The field these rules read.
    public var certificateField: CertificateField
    /// Normalised specifiers in profile order: for subject/issuer `*` or a recognised short name
    /// (canonical spelling, e.g. `SERIALNUMBER` → `serialNumber`); for SAN `DNS`, `URI`, `Name/*`
    /// or `Name/<short name>`. An empty list means "no tags from this field".
    public var specifiers: [String]

    /// Builds a mapping from already-normalised specifiers (see ``specifiers``).
    public init(certificateField: CertificateField, specifiers: [String]) {
        self.certificateField = certificateField
        self.specifiers = specifiers
    }

    /// The rules AWS gives every new profile: all recognised subject and issuer RDNs, and the
    /// first DNS name, first URI and first directory name of the SAN.
    public static let defaults: [AttributeMapping] = [
        AttributeMapping(certificateField: .x509Subject, specifiers: ["*"]),
        AttributeMapping(certificateField: .x509Issuer, specifiers: ["*"]),
        AttributeMapping(certificateField: .x509SAN, specifiers: ["DNS", "URI", "Name/*"]),
    ]

    /// Longest specifier AWS accepts (`MappingRuleSpecifierString`).
    public static let maximumSpecifierLength = 60

    /// Parses a profile's `attributeMappings`; `null` → nil, meaning the AWS default mapping.
    ///
    /// Strict: unknown keys, an unknown `certificateField`, a field listed twice, or a specifier
    /// that is empty, longer than 60 characters or names no recognised attribute is a
    /// ``SchemaError`` at the offending path.
    public static func parse(_ json: JSONValue, path: String) throws(SchemaError) -> [AttributeMapping]? {
        if json == .null { return nil }
        guard case .array(let items) = json else {
            throw SchemaError(path: path, message: "expected an array or null, found \(json.kindDescription)")
        }
        var result: [AttributeMapping] = []
        for (i, item) in items.enumerated() {
            let itemPath = "\(path)[\(i)]"
            let members = try object(item, itemPath)
            for m in members where m.key != "certificateField" && m.key != "mappingRules" {
                throw SchemaError(path: "\(itemPath).\(m.key)", message: "unknown key")
            }
            guard let fieldValue = item["certificateField"] else {
                throw SchemaError(path: itemPath, message: "missing \"certificateField\"")
            }
            guard case .string(let fieldName) = fieldValue, let field = CertificateField(rawValue: fieldName) else {
                throw SchemaError(
                    path: "\(itemPath).certificateField",
                    message: "must be \"x509Subject\", \"x509Issuer\" or \"x509SAN\"")
            }
            if result.contains(where: { $0.certificateField == field }) {
                throw SchemaError(path: "\(itemPath).certificateField", message: "\"\(fieldName)\" is mapped twice")
            }
            guard let rulesValue = item["mappingRules"] else {
                throw SchemaError(path: itemPath, message: "missing \"mappingRules\"")
            }
            guard case .array(let rules) = rulesValue else {
                throw SchemaError(
                    path: "\(itemPath).mappingRules", message: "expected an array, found \(rulesValue.kindDescription)")
            }
            var specifiers: [String] = []
            for (j, rule) in rules.enumerated() {
                let rulePath = "\(itemPath).mappingRules[\(j)]"
                let ruleMembers = try object(rule, rulePath)
                for m in ruleMembers where m.key != "specifier" {
                    throw SchemaError(path: "\(rulePath).\(m.key)", message: "unknown key")
                }
                guard case .string(let raw)? = rule["specifier"] else {
                    throw SchemaError(path: "\(rulePath).specifier", message: "expected a string")
                }
                let specifier = try normalise(raw, field: field, path: "\(rulePath).specifier")
                if !specifiers.contains(specifier) { specifiers.append(specifier) }
            }
            result.append(AttributeMapping(certificateField: field, specifiers: specifiers))
        }
        return result
    }

    /// Validates one specifier for `field` and returns its canonical form.
    static func normalise(_ raw: String, field: CertificateField, path: String) throws(SchemaError) -> String {
        guard raw.count <= maximumSpecifierLength else {
            throw SchemaError(path: path, message: "longer than \(maximumSpecifierLength) characters")
        }
        func attribute(_ name: Substring) throws(SchemaError) -> String {
            if name == "*" { return "*" }
            guard let type = X509AttributeType.named(String(name)) else {
                throw SchemaError(path: path, message: "\"\(name)\" is not a recognised attribute")
            }
            return type.shortName
        }
        switch field {
        case .x509Subject, .x509Issuer:
            guard !raw.isEmpty else { throw SchemaError(path: path, message: "empty specifier") }
            return try attribute(raw[...])
        case .x509SAN:
            if raw == "DNS" || raw == "URI" { return raw }
            // The UG normalises `Name` and `Name/` to `Name/*`.
            if raw == "Name" || raw == "Name/" { return "Name/*" }
            if raw.hasPrefix("Name/") { return "Name/" + (try attribute(raw.dropFirst(5))) }
            throw SchemaError(path: path, message: "SAN specifier must be DNS, URI, Name/* or Name/<attribute>")
        }
    }

    private static func object(_ json: JSONValue, _ path: String) throws(SchemaError) -> [JSONMember] {
        guard case .object(let members) = json else {
            throw SchemaError(path: path, message: "expected an object, found \(json.kindDescription)")
        }
        return members
    }
}
