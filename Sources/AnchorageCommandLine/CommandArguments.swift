/// A command-line parser for Anchorage's subcommands, following swift-argument-parser's conventions
/// without depending on it: `--name value` or `--name=value` options (optionally repeatable),
/// `--switch` flags, positional arguments, `--` ending the options, and `-h`/`--help`.
/// A usage error is a ``UsageError`` (the caller exits 64, EX_USAGE).
///
/// With ``Syntax/helperFlags`` it parses instead the flags of `anchorage-helper`, as cobra parses them for AWS's
/// helper (see ``Syntax``).
public struct CommandArguments: Sendable, Equatable {
    /// The command-line conventions a command follows.
    public enum Syntax: Sendable {
        /// The `anchorage` subcommands': `--name value`, `--name=value`, `--switch`, positionals, `--` ending the
        /// options, `-h`/`--help` anywhere.
        case subcommand
        /// `anchorage-helper`'s, flag-compatible with AWS's helper (cobra): every argument is `--name value` or
        /// `--name=value` (nothing positional, no `--`, no help: the helper handles `--help` before parsing); a
        /// boolean also takes `--name=true`/`=1` and `--name=false`/`=0` (which clears it); a later value of an
        /// option replaces an earlier one; an unknown name is an "unknown flag". A name that is both a flag and an
        /// option is a flag. An argument after a bare switch is refused without being quoted: it is most likely a
        /// value meant for the switch, and that may be a secret (`--reuse-pin 1234`).
        case helperFlags
    }

    /// What a command accepts.
    public struct Specification: Sendable {
        /// Options that take exactly one value and may be given once.
        public var options: Set<String>
        /// Options that take a value and may be given several times (values kept in order).
        public var repeatableOptions: Set<String>
        /// Switches without a value.
        public var flags: Set<String>
        /// Names of the positional arguments, for messages (`NAME`, `FILE`).
        public var positionals: [String]
        /// How many trailing positionals may be left out.
        public var optionalPositionals: Int
        /// Whether a single-valued option given again replaces the earlier value (`serve`, whose
        /// wrappers append overrides to a unit's command line) instead of being a usage error.
        public var laterValuesOverride: Bool
        /// The conventions; ``Syntax/helperFlags`` implies `laterValuesOverride` and accepts no positional.
        public var syntax: Syntax
        /// How an argument's text appears in a usage error. An argument given in the wrong place may hold a
        /// secret (a `pkcs11:` URI's `pin-value`), and what is secret in it is the caller's rule, not the
        /// parser's: every message quoting an argument passes it through here. An argument that follows a
        /// switch is never quoted at all (see ``Syntax/helperFlags``).
        public var shown: @Sendable (String) -> String

        public init(
            options: Set<String> = [], repeatableOptions: Set<String> = [], flags: Set<String> = [],
            positionals: [String] = [], optionalPositionals: Int = 0, laterValuesOverride: Bool = false,
            syntax: Syntax = .subcommand, shown: @escaping @Sendable (String) -> String = { $0 }
        ) {
            self.options = options
            self.repeatableOptions = repeatableOptions
            self.flags = flags
            self.positionals = positionals
            self.optionalPositionals = optionalPositionals
            self.laterValuesOverride = laterValuesOverride
            self.syntax = syntax
            self.shown = shown
        }
    }

    /// A usage error: the command line does not match the command's specification (exit 64).
    public struct UsageError: Error, CustomStringConvertible, Sendable, Equatable {
        public var message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    private var values: [String: [String]] = [:]
    private var switches: Set<String> = []
    /// The positional arguments in order.
    public private(set) var positionals: [String] = []
    /// True when `-h` or `--help` was given (then nothing else is checked).
    public private(set) var helpRequested = false

    /// Parses `arguments` against `specification`.
    public init(_ arguments: [String], _ specification: Specification) throws(UsageError) {
        if specification.syntax == .helperFlags {
            try parseHelperFlags(arguments, specification)
            return
        }
        if arguments.contains(where: { $0 == "--help" || $0 == "-h" }) {
            // `--help` anywhere wins, unless it is the value of an option (`--description --help` is odd enough to ignore).
            helpRequested = true
            return
        }
        var index = 0
        var optionsEnded = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if optionsEnded || !argument.hasPrefix("-") || argument == "-" {
                positionals.append(argument)
                continue
            }
            if argument == "--" {
                optionsEnded = true
                continue
            }
            guard argument.hasPrefix("--") else {
                throw UsageError("unknown option \(specification.shown(argument))")
            }
            let (name, inlineValue) = Self.nameAndInlineValue(argument)
            if specification.options.contains(name) || specification.repeatableOptions.contains(name) {
                let value: String
                if let inlineValue {
                    value = inlineValue
                } else {
                    value = try Self.nextValue(of: name, arguments, &index)
                }
                if specification.options.contains(name), values[name] != nil {
                    guard specification.laterValuesOverride else {
                        throw UsageError("--\(name) may be given only once")
                    }
                    values[name] = nil
                }
                values[name, default: []].append(value)
            } else if specification.flags.contains(name) {
                guard inlineValue == nil else { throw UsageError("--\(name) takes no value") }
                switches.insert(name)
            } else {
                throw UsageError("unknown option --\(specification.shown(name))")
            }
        }
        let required = specification.positionals.count - specification.optionalPositionals
        if positionals.count < required {
            let missing = specification.positionals[positionals.count..<required].joined(separator: " ")
            throw UsageError("missing \(missing)")
        }
        if positionals.count > specification.positionals.count {
            throw UsageError("unexpected argument \(specification.shown(positionals[specification.positionals.count]))")
        }
    }

    /// ``Syntax/helperFlags``: the helper's flags, with its messages.
    private mutating func parseHelperFlags(_ arguments: [String], _ specification: Specification) throws(UsageError) {
        var index = 0
        var previousSwitch: String?
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("--"), argument.count > 2 else {
                if let previousSwitch {
                    throw UsageError("--\(previousSwitch) takes no value (unexpected argument after it)")
                }
                throw UsageError("unexpected argument \(specification.shown(argument))")
            }
            let (name, inlineValue) = Self.nameAndInlineValue(argument)
            previousSwitch = specification.flags.contains(name) && inlineValue == nil ? name : nil
            if specification.flags.contains(name) {
                switch inlineValue {
                case nil, "true", "1": switches.insert(name)
                case "false", "0": switches.remove(name)
                default: throw UsageError("--\(name) takes no value")
                }
            } else if specification.options.contains(name) || specification.repeatableOptions.contains(name) {
                let value: String
                if let inlineValue {
                    value = inlineValue
                } else {
                    value = try Self.nextValue(of: name, arguments, &index)
                }
                if specification.options.contains(name) { values[name] = nil }
                values[name, default: []].append(value)
            } else {
                throw UsageError("unknown flag --\(specification.shown(name))")
            }
        }
    }

    /// `--name=value` as `name` and `value`; `--name` as `name` and nil.
    private static func nameAndInlineValue(_ argument: String) -> (name: String, inlineValue: String?) {
        let text = argument.dropFirst(2)
        guard let equals = text.firstIndex(of: "=") else { return (String(text), nil) }
        return (String(text[..<equals]), String(text[text.index(after: equals)...]))
    }

    /// The argument after option `name` (its value), advancing `index` past it.
    private static func nextValue(of name: String, _ arguments: [String], _ index: inout Int) throws(UsageError)
        -> String
    {
        guard index < arguments.count else { throw UsageError("--\(name) needs a value") }
        defer { index += 1 }
        return arguments[index]
    }

    /// The value of a single-valued option, or nil when it was not given.
    public func value(_ name: String) -> String? { values[name]?.last }

    /// Every value of a repeatable option, in command-line order.
    public func values(_ name: String) -> [String] { values[name] ?? [] }

    /// True when the switch was given.
    public func has(_ name: String) -> Bool { switches.contains(name) }

    /// The names of every option and switch given (without the dashes).
    public var givenOptions: Set<String> { switches.union(values.keys) }

    /// The positional argument at `index`, or nil when it was left out.
    public func positional(_ index: Int) -> String? { positionals.indices.contains(index) ? positionals[index] : nil }

    /// An integer option within `range`, `defaultValue` when absent; a usage error otherwise.
    public func integer(_ name: String, in range: ClosedRange<Int>, default defaultValue: Int) throws(UsageError) -> Int
    {
        guard let text = value(name) else { return defaultValue }
        guard let number = Int(text), range.contains(number) else {
            throw UsageError("--\(name) must be an integer in \(range.lowerBound)...\(range.upperBound), not \(text)")
        }
        return number
    }
}
