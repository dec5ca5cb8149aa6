import AnchorageConfig
import AnchorageCore

/// A REST-JSON request body with typed member access: a member of the wrong kind or out of the model's
/// bounds is a `ValidationException` naming it. Members the model does not define are ignored, as AWS does,
/// so newer SDKs keep working.
struct RequestBody {
    let json: JSONValue

    init(_ bytes: [UInt8]) throws(ControlPlaneError) {
        guard bytes.contains(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) else {
            json = .object([])
            return
        }
        guard let parsed = try? JSONParser.parse(bytes), case .object = parsed else {
            throw RolesAnywhereErrors.validation("body", "must be a JSON object")
        }
        json = parsed
    }

    /// The member, nil when absent or `null`.
    func value(_ key: String) -> JSONValue? {
        guard let found = json[key], found != .null else { return nil }
        return found
    }

    func require<T>(_ key: String, _ found: T?) throws(ControlPlaneError) -> T {
        guard let found else { throw RolesAnywhereErrors.validation(key, "is required") }
        return found
    }

    func string(_ key: String, length: ClosedRange<Int>? = nil) throws(ControlPlaneError) -> String? {
        guard let found = value(key) else { return nil }
        guard let text = found.stringValue else { throw RolesAnywhereErrors.validation(key, "must be a string") }
        if let length, !length.contains(text.unicodeScalars.count) {
            throw RolesAnywhereErrors.validation(
                key, "must be \(length.lowerBound)-\(length.upperBound) characters long")
        }
        return text
    }

    func bool(_ key: String) throws(ControlPlaneError) -> Bool? {
        guard let found = value(key) else { return nil }
        guard let flag = found.boolValue else { throw RolesAnywhereErrors.validation(key, "must be a boolean") }
        return flag
    }

    func integer(_ key: String, in range: ClosedRange<Int>) throws(ControlPlaneError) -> Int? {
        guard let found = value(key) else { return nil }
        guard let number = found.intValue, range.contains(number) else {
            throw RolesAnywhereErrors.validation(
                key, "must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    func strings(_ key: String, maximumCount: Int) throws(ControlPlaneError) -> [String]? {
        guard let found = value(key) else { return nil }
        guard let list = found.stringArray else {
            throw RolesAnywhereErrors.validation(key, "must be a list of strings")
        }
        guard list.count <= maximumCount else {
            throw RolesAnywhereErrors.validation(key, "must have at most \(maximumCount) members")
        }
        return list
    }
}
