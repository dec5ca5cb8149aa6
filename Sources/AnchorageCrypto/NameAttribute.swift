internal import COpenSSL

/// One attribute of an X.509 distinguished name.
public struct NameAttribute: Sendable, Equatable {
    /// Index of the RDN (SET) that holds the attribute; attributes sharing it form a multi-valued RDN.
    public var rdnIndex: Int
    /// OpenSSL's short name (`CN`, `OU`, `ST`, `emailAddress`, …), or the dotted OID when it has none.
    public var shortName: String
    /// The dotted OID.
    public var oid: String
    /// The value as UTF-8.
    public var value: String

    public init(rdnIndex: Int, shortName: String, oid: String, value: String) {
        self.rdnIndex = rdnIndex
        self.shortName = shortName
        self.oid = oid
        self.value = value
    }

    static func attributes(of name: OpaquePointer?) -> [NameAttribute] {
        guard let name else { return [] }
        var out: [NameAttribute] = []
        for index in 0..<X509_NAME_entry_count(name) {
            guard let entry = X509_NAME_get_entry(name, index), let object = X509_NAME_ENTRY_get_object(entry) else {
                continue
            }
            let nid = OBJ_obj2nid(object)
            var oidBuffer = [CChar](repeating: 0, count: 128)
            OBJ_obj2txt(&oidBuffer, Int32(oidBuffer.count), object, 1)
            let oid = AnchorageCrypto.string(fromCBuffer: oidBuffer)
            let short = nid != NID_undef ? OBJ_nid2sn(nid).map { String(cString: $0) } ?? oid : oid
            guard let value = string(of: X509_NAME_ENTRY_get_data(entry)) else { continue }
            out.append(
                NameAttribute(rdnIndex: Int(X509_NAME_ENTRY_set(entry)), shortName: short, oid: oid, value: value))
        }
        return out
    }

    static func string(of asn1: UnsafePointer<ASN1_STRING>?) -> String? {
        guard let asn1 else { return nil }
        var utf8: UnsafeMutablePointer<UInt8>?
        let length = ASN1_STRING_to_UTF8(&utf8, asn1)
        guard length >= 0, let utf8 else { return nil }
        defer { COpenSSL_OPENSSL_free(utf8) }
        return String(validating: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self)
    }

    static func string(of asn1: UnsafeMutablePointer<ASN1_STRING>?) -> String? {
        string(of: UnsafePointer(asn1))
    }

    static func ipString(of asn1: UnsafeMutablePointer<ASN1_STRING>?) -> String? {
        guard let asn1, let data = ASN1_STRING_get0_data(asn1) else { return nil }
        let bytes = Array(UnsafeBufferPointer(start: data, count: Int(ASN1_STRING_length(asn1))))
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        if bytes.count == 16 {
            return stride(from: 0, to: 16, by: 2).map {
                String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16)
            }
            .joined(separator: ":")
        }
        return nil
    }

    static func rfc2253(_ name: OpaquePointer?) -> String {
        guard let name else { return "" }
        let bytes =
            (try? collectingMemoryBIO { bio in
                X509_NAME_print_ex(bio, name, 0, COpenSSL_XN_FLAG_RFC2253()) >= 0
            }) ?? []
        return String(decoding: bytes, as: UTF8.self)
    }
}
