/// Writes commands the way every Redis client sends them: an array of bulk strings.
public enum RESPWriter {
    /// Appends `command` (name first, then its arguments) to `output`.
    public static func append(_ command: RedisCommand, to output: inout [UInt8]) {
        header(UInt8(ascii: "*"), command.arguments.count, to: &output)
        for argument in command.arguments {
            header(UInt8(ascii: "$"), argument.count, to: &output)
            output += argument
            output += [13, 10]
        }
    }

    /// `command` as bytes.
    public static func encode(_ command: RedisCommand) -> [UInt8] {
        var output: [UInt8] = []
        append(command, to: &output)
        return output
    }

    /// Writes a value as a server would (for tests and fake servers).
    public static func encode(reply value: RESPValue) -> [UInt8] {
        var output: [UInt8] = []
        func write(_ value: RESPValue) {
            switch value {
            case .simpleString(let text):
                output += [UInt8(ascii: "+")] + Array(text.utf8) + [13, 10]
            case .error(let text):
                output += [UInt8(ascii: "-")] + Array(text.utf8) + [13, 10]
            case .integer(let number):
                output += [UInt8(ascii: ":")] + Array(String(number).utf8) + [13, 10]
            case .bulkString(nil):
                output += Array("$-1\r\n".utf8)
            case .bulkString(let bytes?):
                header(UInt8(ascii: "$"), bytes.count, to: &output)
                output += bytes + [13, 10]
            case .array(nil):
                output += Array("*-1\r\n".utf8)
            case .array(let elements?):
                header(UInt8(ascii: "*"), elements.count, to: &output)
                for element in elements { write(element) }
            }
        }
        write(value)
        return output
    }

    private static func header(_ type: UInt8, _ count: Int, to output: inout [UInt8]) {
        output.append(type)
        output += Array(String(count).utf8)
        output += [13, 10]
    }
}

/// One command: its name and arguments, each a binary-safe byte string.
public struct RedisCommand: Sendable, Equatable {
    public var arguments: [[UInt8]]

    public init(_ arguments: [[UInt8]]) {
        precondition(!arguments.isEmpty, "a command has a name")
        self.arguments = arguments
    }

    /// A command of text arguments: `RedisCommand("GET", "key")`.
    public init(_ name: String, _ arguments: String...) {
        self.init([Array(name.utf8)] + arguments.map { Array($0.utf8) })
    }

    /// A command of text arguments given as an array.
    public init(_ name: String, arguments: [String]) {
        self.init([Array(name.utf8)] + arguments.map { Array($0.utf8) })
    }

    /// The command name, for logs and errors (never its arguments, which may hold a password).
    public var name: String { String(decoding: arguments[0], as: UTF8.self) }
}
