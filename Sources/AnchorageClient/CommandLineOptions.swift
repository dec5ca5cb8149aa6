import AnchorageCommandLine

/// Flags as cobra parses them for the official helper: `--name value`, `--name=value`, and bare
/// boolean flags (`--debug`, `--debug=true`).
public struct CommandLineOptions: Sendable {
    /// The parse, by the one command-line parser of both executables (``CommandArguments`` in its
    /// ``CommandArguments/Syntax/helperFlags`` syntax).
    private let parsed: CommandArguments

    /// Parses `arguments` (after the subcommand) against the allowed value and boolean flags. A usage error
    /// quotes an argument as ``PKCS11URI/redacted(_:)`` shows it: a `pkcs11:` URI given in the wrong place
    /// keeps its `pin-value` out of the message.
    public init(_ arguments: [String], valueFlags: Set<String>, boolFlags: Set<String>) throws(HelperError) {
        do {
            parsed = try CommandArguments(
                arguments,
                .init(options: valueFlags, flags: boolFlags, syntax: .helperFlags, shown: { PKCS11URI.redacted($0) }))
        } catch {
            throw HelperError.usage(error.message)
        }
    }

    public subscript(name: String) -> String? { parsed.value(name) }

    public func has(_ flag: String) -> Bool { parsed.has(flag) }

    public func required(_ name: String) throws(HelperError) -> String {
        guard let value = self[name], !value.isEmpty else { throw HelperError.usage("--\(name) is required") }
        return value
    }

    public func integer(_ name: String, default fallback: Int, range: ClosedRange<Int>) throws(HelperError) -> Int {
        guard let text = self[name] else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw HelperError.usage("--\(name) must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }
}
