/// An RFC 7512 `pkcs11:` URI: path attributes select the token and object, query attributes carry
/// the PIN and module.
public struct PKCS11URI: Sendable, Equatable {
    /// `token`, `manufacturer`, `serial`, `model`: `CK_TOKEN_INFO` fields to match.
    public var token: String?
    public var manufacturer: String?
    public var serial: String?
    public var model: String?
    /// `slot-id`: a `CK_SLOT_ID`, decimal.
    public var slotID: UInt?
    /// `object`: `CKA_LABEL`.
    public var object: String?
    /// `id`: `CKA_ID`, raw bytes.
    public var id: [UInt8]?
    /// `type`: `cert`, `private`, `public`, `secret-key`, `data`.
    public var type: String?
    /// `pin-value`: the PIN itself.
    public var pinValue: String?
    /// `pin-source`: a file (path or `file:` URI) whose first line is the PIN.
    public var pinSource: String?
    /// `module-path`: the module to load (overridden by `--pkcs11-lib`).
    public var modulePath: String?

    /// Whether `text` is meant as a PKCS#11 URI rather than a file name.
    public static func isURI(_ text: String) -> Bool { text.lowercased().hasPrefix("pkcs11:") }

    static let pathAttributes: Set<String> = [
        "token", "manufacturer", "serial", "model", "slot-id", "object", "id", "type", "library-manufacturer",
        "library-description", "library-version", "slot-description", "slot-manufacturer",
    ]
    static let queryAttributes: Set<String> = ["pin-value", "pin-source", "module-name", "module-path"]

    /// Parses `text`; unknown attributes, repeated attributes and bad percent-escapes are refused, so a typo
    /// cannot widen the match.
    public init(parsing text: String) throws(HelperError) {
        guard Self.isURI(text) else { throw HelperError.usage("\(Self.redacted(text)) is not a pkcs11: URI") }
        let body = text.dropFirst("pkcs11:".count)
        let parts = body.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var seen: Set<String> = []
        func attributes(_ part: Substring, separator: Character, allowed: Set<String>) throws(HelperError)
            -> [(String, [UInt8])]
        {
            var result: [(String, [UInt8])] = []
            for item in part.split(separator: separator) {
                guard let equals = item.firstIndex(of: "=") else {
                    throw HelperError.usage("pkcs11: URI attribute \(item.prefix(40)) has no value")
                }
                let name = item[..<equals].lowercased()
                guard allowed.contains(name) else {
                    throw HelperError.usage("pkcs11: URI: unknown attribute \(name.prefix(40))")
                }
                guard seen.insert(name).inserted else {
                    throw HelperError.usage("pkcs11: URI: attribute \(name) appears twice")
                }
                guard let value = Self.percentDecoded(item[item.index(after: equals)...]) else {
                    throw HelperError.usage("pkcs11: URI: bad percent-encoding in \(name)")
                }
                result.append((name, value))
            }
            return result
        }
        var all = try attributes(parts[0], separator: ";", allowed: Self.pathAttributes)
        if parts.count > 1 { all += try attributes(parts[1], separator: "&", allowed: Self.queryAttributes) }
        for (name, value) in all {
            let string = String(decoding: value, as: UTF8.self)
            switch name {
            case "token": token = string
            case "manufacturer": manufacturer = string
            case "serial": serial = string
            case "model": model = string
            case "object": object = string
            case "id": id = value
            case "type":
                guard ["cert", "private", "public", "secret-key", "data"].contains(string) else {
                    throw HelperError.usage("pkcs11: URI: unknown type \(string.prefix(20))")
                }
                type = string
            case "slot-id":
                guard let number = UInt(string) else {
                    throw HelperError.usage("pkcs11: URI: slot-id must be a decimal number")
                }
                slotID = number
            case "pin-value": pinValue = string
            case "pin-source": pinSource = string
            case "module-path": modulePath = string
            default: break  // library-*, slot-description, slot-manufacturer, module-name: accepted, not matched
            }
        }
    }

    /// The URI without any `pin-value`, for messages.
    public static func redacted(_ text: String) -> String {
        guard let query = text.firstIndex(of: "?") else { return String(text.prefix(200)) }
        let items = text[text.index(after: query)...].split(separator: "&").map { item in
            item.lowercased().hasPrefix("pin-value=") ? "pin-value=…" : String(item)
        }
        return String((text[..<query] + "?" + items.joined(separator: "&")).prefix(200))
    }

    private static func percentDecoded(_ text: Substring) -> [UInt8]? {
        var out: [UInt8] = []
        var bytes = text.utf8.makeIterator()
        while let byte = bytes.next() {
            guard byte == UInt8(ascii: "%") else {
                out.append(byte)
                continue
            }
            guard let high = bytes.next().flatMap(hexValue), let low = bytes.next().flatMap(hexValue) else {
                return nil
            }
            out.append(high << 4 | low)
        }
        return out
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
