import AnchorageBasics

/// Derives the principal (session) tags from the certificate, as IAM Roles Anywhere does.
///
/// Tag keys are `x509Subject/<attr>`, `x509Issuer/<attr>`, `x509SAN/DNS`, `x509SAN/URI` and
/// `x509SAN/Name/<attr>`, with `<attr>` a short name from ``X509AttributeType/recognised``.
public enum PrincipalTags {
    /// STS allows at most 50 session tags.
    public static let maximumCount = 50

    /// The tags for `identity` under `mappings` (nil = the AWS default mapping).
    ///
    /// Reading of a custom mapping: a field listed in `mappings` *replaces* the default rules for
    /// that field (an empty rule list yields no tags from it); a field not listed keeps its default
    /// rules. Within a field, tags follow rule order, and `*` lists attributes in the order they
    /// first appear in the certificate. An attribute that occurs several times becomes one tag
    /// whose value joins the occurrences with `/` in certificate order (`Security/Engineering`).
    /// Only the first DNS name, first URI and first directory name of the SAN are used. Tags whose
    /// key or value breaks the STS tag pattern or length limits are dropped silently, as AWS does;
    /// after that, only the first 50 are kept.
    public static func derive(
        from identity: CertificateIdentity, mappings: [AttributeMapping]?
    ) -> [(key: String, value: String)] {
        func specifiers(_ field: AttributeMapping.CertificateField) -> [String] {
            let source =
                (mappings ?? []).first { $0.certificateField == field }
                ?? AttributeMapping.defaults.first { $0.certificateField == field }
            return source?.specifiers ?? []
        }
        var tags: [(key: String, value: String)] = []
        tags += fromName(identity.subject, prefix: "x509Subject/", specifiers: specifiers(.x509Subject))
        tags += fromName(identity.issuer, prefix: "x509Issuer/", specifiers: specifiers(.x509Issuer))
        for specifier in specifiers(.x509SAN) {
            switch specifier {
            case "DNS":
                if let dns = identity.sanDNSNames.first { tags.append(("x509SAN/DNS", dns)) }
            case "URI":
                if let uri = identity.sanURIs.first { tags.append(("x509SAN/URI", uri)) }
            default:
                guard let name = identity.sanDirectoryNames.first, specifier.hasPrefix("Name/") else { continue }
                tags += fromName(name, prefix: "x509SAN/Name/", specifiers: [String(specifier.dropFirst(5))])
            }
        }
        var seen: Set<String> = []
        let valid = tags.filter { tag in
            isValidKey(tag.key) && isValidValue(tag.value) && seen.insert(ASCII.lowercased(tag.key)).inserted
        }
        return Array(valid.prefix(maximumCount))
    }

    /// Whether `key` is a valid STS tag key: 1–128 characters of `[\p{L}\p{Z}\p{N}_.:/=+\-@]`.
    public static func isValidKey(_ key: String) -> Bool {
        (1...128).contains(key.unicodeScalars.count) && key.unicodeScalars.allSatisfy(isTagScalar)
    }

    /// Whether `value` is a valid STS tag value: 0–256 characters of `[\p{L}\p{Z}\p{N}_.:/=+\-@]`.
    public static func isValidValue(_ value: String) -> Bool {
        value.unicodeScalars.count <= 256 && value.unicodeScalars.allSatisfy(isTagScalar)
    }

    private static func isTagScalar(_ s: Unicode.Scalar) -> Bool {
        if s.isASCII {
            // The ASCII members of \p{L}, \p{Z} and \p{N}, and the punctuation below, without the
            // general-category table lookup.
            switch UInt8(truncatingIfNeeded: s.value) {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: " "), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: ":"), UInt8(ascii: "/"), UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"),
                UInt8(ascii: "@"):
                return true
            default:
                return false
            }
        }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,  // \p{L}
            .spaceSeparator, .lineSeparator, .paragraphSeparator,  // \p{Z}
            .decimalNumber, .letterNumber, .otherNumber:  // \p{N}
            return true
        default:
            return "_.:/=+-@".unicodeScalars.contains(s)
        }
    }

    private static func fromName(
        _ name: DistinguishedName, prefix: String, specifiers: [String]
    ) -> [(key: String, value: String)] {
        var types: [X509AttributeType] = []
        for specifier in specifiers {
            if specifier == "*" {
                for attribute in name.attributes {
                    if let type = X509AttributeType.of(attribute), !types.contains(type) { types.append(type) }
                }
            } else if let type = X509AttributeType.named(specifier), !types.contains(type) {
                types.append(type)
            }
        }
        return types.compactMap { type in
            let values = name.values(of: type)
            return values.isEmpty ? nil : (prefix + type.shortName, values.joined(separator: "/"))
        }
    }
}
