/// An RFC 7512 `pkcs11:` URI: path attributes select the token and object, query attributes carry
/// the PIN and module.
///
/// Attribute values that are matched against the token or passed to the module stay the bytes the
/// percent-decoding gave (a PIN or label need not be UTF-8): they are compared byte for byte, never as
/// Swift strings (whose `==` treats canonically equivalent text as equal).
public struct PKCS11URI: Sendable, Equatable {
    public static func == (lhs: PKCS11URI, rhs: PKCS11URI) -> Bool {
        lhs.token == rhs.token && lhs.manufacturer == rhs.manufacturer && lhs.serial == rhs.serial
            && lhs.model == rhs.model && lhs.slotDescription == rhs.slotDescription
            && lhs.slotManufacturer == rhs.slotManufacturer && lhs.libraryManufacturer == rhs.libraryManufacturer
            && lhs.libraryDescription == rhs.libraryDescription
            && lhs.libraryVersion?.major == rhs.libraryVersion?.major
            && lhs.libraryVersion?.minor == rhs.libraryVersion?.minor && lhs.slotID == rhs.slotID
            && lhs.object == rhs.object && lhs.id == rhs.id && lhs.type == rhs.type && lhs.pinValue == rhs.pinValue
            && lhs.pinSource == rhs.pinSource && lhs.modulePath == rhs.modulePath
    }

    /// `token`, `manufacturer`, `serial`, `model`: `CK_TOKEN_INFO` fields to match.
    public var token: [UInt8]?
    public var manufacturer: [UInt8]?
    public var serial: [UInt8]?
    public var model: [UInt8]?
    /// `slot-description`, `slot-manufacturer`: `CK_SLOT_INFO` fields to match.
    public var slotDescription: [UInt8]?
    public var slotManufacturer: [UInt8]?
    /// `library-manufacturer`, `library-description`: `CK_INFO` fields of the module to match.
    public var libraryManufacturer: [UInt8]?
    public var libraryDescription: [UInt8]?
    /// `library-version`: `major[.minor]` (minor 0 when left out), matched against `CK_INFO`.
    public var libraryVersion: (major: UInt8, minor: UInt8)?
    /// `slot-id`: a `CK_SLOT_ID`, decimal.
    public var slotID: UInt?
    /// `object`: `CKA_LABEL`.
    public var object: [UInt8]?
    /// `id`: `CKA_ID`, raw bytes.
    public var id: [UInt8]?
    /// `type`: `cert`, `private`, `public`, `secret-key`, `data`.
    public var type: String?
    /// `pin-value`: the PIN itself.
    public var pinValue: [UInt8]?
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
                    // A query item may be a PIN typed without its name: its text is never shown.
                    throw HelperError.usage(
                        separator == "&"
                            ? "pkcs11: URI: a query attribute has no value (name=value expected)"
                            : "pkcs11: URI attribute \(TerminalText.escaped(String(item.prefix(40)))) has no value")
                }
                let name = item[..<equals].lowercased()
                guard allowed.contains(name) else {
                    throw HelperError.usage(
                        separator == "&"
                            ? "pkcs11: URI: unknown query attribute (pin-value, pin-source, module-name, module-path expected)"
                            : "pkcs11: URI: unknown attribute \(TerminalText.escaped(String(name.prefix(40))))")
                }
                guard seen.insert(name).inserted else {
                    throw HelperError.usage("pkcs11: URI: attribute \(name) appears twice")
                }
                guard let value = Self.percentDecoded(item[item.index(after: equals)...]) else {
                    throw HelperError.usage("pkcs11: URI: bad percent-encoding in \(name)")
                }
                // A NUL would cut a path or name where it reaches C (`pin-source=/pin%00.x` reading `/pin`);
                // only `id` (raw bytes) and the PIN (passed with its length) may hold one.
                guard name == "id" || name == "pin-value" || !value.contains(0) else {
                    throw HelperError.usage("pkcs11: URI: \(name) must not contain a NUL byte (%00)")
                }
                result.append((name, value))
            }
            return result
        }
        var all = try attributes(parts[0], separator: ";", allowed: Self.pathAttributes)
        if parts.count > 1 { all += try attributes(parts[1], separator: "&", allowed: Self.queryAttributes) }
        for (name, value) in all {
            // Only for the attributes read as text (numbers, `type`, file paths): none is compared as a string.
            let string = String(decoding: value, as: UTF8.self)
            switch name {
            case "token": token = value
            case "manufacturer": manufacturer = value
            case "serial": serial = value
            case "model": model = value
            case "slot-description": slotDescription = value
            case "slot-manufacturer": slotManufacturer = value
            case "library-manufacturer": libraryManufacturer = value
            case "library-description": libraryDescription = value
            case "library-version":
                let parts = string.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
                guard let major = UInt8(parts[0]), let minor = parts.count > 1 ? UInt8(parts[1]) : 0 else {
                    throw HelperError.usage("pkcs11: URI: library-version must be major or major.minor (decimal)")
                }
                libraryVersion = (major, minor)
            case "object": object = value
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
            case "pin-value": pinValue = value
            case "pin-source", "module-path":
                // A path that is not UTF-8 would reach open(2) or dlopen(3) altered: refused instead.
                guard let path = String(validating: value, as: UTF8.self) else {
                    throw HelperError.usage("pkcs11: URI: \(name) is not valid UTF-8")
                }
                if name == "pin-source" { pinSource = path } else { modulePath = path }
            default: break  // module-name: p11-kit's module names are not used; --pkcs11-lib or module-path load one
            }
        }
    }

    /// The URI without any `pin-value`, for messages: a query item shows only when it is a module or a
    /// PIN file (anything else may be a PIN, misspelt or without its name).
    public static func redacted(_ text: String) -> String {
        guard let query = text.firstIndex(of: "?") else { return String(text.prefix(200)) }
        let items = text[text.index(after: query)...].split(separator: "&").map { item in
            let name = item.prefix { $0 != "=" }.lowercased()
            return ["module-path", "module-name", "pin-source"].contains(name) && item.contains("=")
                ? String(item) : name == "pin-value" ? "pin-value=…" : "…"
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
