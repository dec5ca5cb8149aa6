/// A small `--flag value` / `--switch` parser for the command-line tools (no dependency on
/// swift-argument-parser, whose conventions it follows: usage errors exit 64).
public struct CommandLineArguments: Sendable {
    public private(set) var values: [String: String] = [:]
    public private(set) var switches: Set<String> = []

    /// A usage error: exit status 64 (EX_USAGE).
    public struct UsageError: Error, CustomStringConvertible, Sendable {
        public var message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    /// Parses `arguments` against the flags that take a value and the switches that do not.
    public init(_ arguments: [String], options: Set<String>, flags: Set<String>) throws(UsageError) {
        var index = 0
        while index < arguments.count {
            var argument = arguments[index]
            var inlineValue: String?
            if let equals = argument.firstIndex(of: "="), argument.hasPrefix("--") {
                inlineValue = String(argument[argument.index(after: equals)...])
                argument = String(argument[..<equals])
            }
            guard argument.hasPrefix("--") else { throw UsageError("unexpected argument \(argument)") }
            let name = String(argument.dropFirst(2))
            if options.contains(name) {
                if let inlineValue {
                    values[name] = inlineValue
                } else {
                    index += 1
                    guard index < arguments.count else { throw UsageError("--\(name) needs a value") }
                    values[name] = arguments[index]
                }
            } else if flags.contains(name), inlineValue == nil {
                switches.insert(name)
            } else {
                throw UsageError("unknown option --\(name)")
            }
            index += 1
        }
    }

    public func value(_ name: String) -> String? { values[name] }
    public func has(_ name: String) -> Bool { switches.contains(name) }
}
