/// An X.501 distinguished name in certificate (encoding) order, e.g. `C=US` first.
public struct DistinguishedName: Hashable, Sendable, CustomStringConvertible {
    /// RDNs in encoding order (the order `openssl x509 -subject` prints them).
    public var rdns: [RelativeDistinguishedName]

    /// Builds a name from decoded RDNs.
    public init(rdns: [RelativeDistinguishedName]) {
        self.rdns = rdns
    }

    /// A name with one single-valued RDN per pair, in the given order; OIDs come from
    /// ``X509AttributeType/recognised`` (empty for unknown names). Convenient for tests.
    public init(_ attributes: [(shortName: String, value: String)]) {
        rdns = attributes.map { pair in
            let type = X509AttributeType.named(pair.shortName)
            return RelativeDistinguishedName([
                AttributeTypeAndValue(
                    shortName: type?.shortName ?? pair.shortName, oid: type?.oid ?? "", value: pair.value)
            ])
        }
    }

    /// Every attribute in certificate order (multi-valued RDNs flattened).
    public var attributes: [AttributeTypeAndValue] { rdns.flatMap(\.attributes) }

    /// The values of the recognised attribute type `type`, in certificate order.
    public func values(of type: X509AttributeType) -> [String] {
        attributes.filter { X509AttributeType.of($0) == type }.map(\.value)
    }

    /// RFC 4514 text: RDNs in *reverse* encoding order (`CN=Alice,O=Example,C=US`), multi-valued
    /// RDNs joined with `+`, special characters backslash-escaped.
    public var rfc4514String: String {
        rdns.reversed().map { rdn in
            rdn.attributes.map { ($0.shortName.isEmpty ? $0.oid : $0.shortName) + "=" + Self.escape($0.value) }
                .joined(separator: "+")
        }.joined(separator: ",")
    }

    /// The ``rfc4514String``.
    public var description: String { rfc4514String }

    private static func escape(_ value: String) -> String {
        var out = ""
        let scalars = Array(value.unicodeScalars)
        for (i, s) in scalars.enumerated() {
            switch s {
            case ",", "+", "\"", "\\", "<", ">", ";":
                out += "\\" + String(s)
            case " " where i == 0 || i == scalars.count - 1, "#" where i == 0:
                out += "\\" + String(s)
            case "\u{0}":
                out += "\\00"
            default:
                out.unicodeScalars.append(s)
            }
        }
        return out
    }
}
