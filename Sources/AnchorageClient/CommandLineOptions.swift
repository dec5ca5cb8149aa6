/// Flags as cobra parses them for the official helper: `--name value`, `--name=value`, and bare
/// boolean flags (`--debug`, `--debug=true`).
public struct CommandLineOptions: Sendable {
    public private(set) var values: [String: String] = [:]
    public private(set) var flags: Set<String> = []

    /// Parses `arguments` (after the subcommand) against the allowed value and boolean flags.
    public init(_ arguments: [String], valueFlags: Set<String>, boolFlags: Set<String>) throws(HelperError) {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("--"), argument.count > 2 else {
                throw HelperError.usage("unexpected argument \(argument)")
            }
            var name = String(argument.dropFirst(2))
            var inline: String?
            if let equals = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            if boolFlags.contains(name) {
                switch inline {
                case nil, "true", "1": flags.insert(name)
                case "false", "0": flags.remove(name)
                default: throw HelperError.usage("--\(name) takes no value")
                }
            } else if valueFlags.contains(name) {
                if let inline {
                    values[name] = inline
                } else {
                    guard index < arguments.count else { throw HelperError.usage("--\(name) needs a value") }
                    values[name] = arguments[index]
                    index += 1
                }
            } else {
                throw HelperError.usage("unknown flag --\(name)")
            }
        }
    }

    public subscript(name: String) -> String? { values[name] }

    public func has(_ flag: String) -> Bool { flags.contains(flag) }

    public func required(_ name: String) throws(HelperError) -> String {
        guard let value = values[name], !value.isEmpty else { throw HelperError.usage("--\(name) is required") }
        return value
    }

    public func integer(_ name: String, default fallback: Int, range: ClosedRange<Int>) throws(HelperError) -> Int {
        guard let text = values[name] else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw HelperError.usage("--\(name) must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }
}
