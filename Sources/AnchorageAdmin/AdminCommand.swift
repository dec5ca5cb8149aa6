import AnchorageCommandLine
import Foundation

/// The resource commands of `anchorage` (`pki`, `trust-anchor`, `crl`, `profile`, `role`): each is a
/// group of subcommands. `main` hands over the command name and the remaining arguments.
///
/// Exit status: 0 done, 1 failed (nothing changed on disk), 64 usage error. Results go to stdout,
/// diagnostics to stderr.
public enum AdminCommand {
    /// The command names this module handles, in the order `anchorage --help` lists them.
    public static let names = ["pki", "trust-anchor", "crl", "profile", "role"]

    /// One line per command for `anchorage --help`.
    public static let summaries: [(name: String, summary: String)] = groups.map { ($0.name, $0.summary) }

    static let groups: [CommandGroup] = [
        PKICommands.group, TrustAnchorCommands.group, CRLCommands.group,
        ProfileCommands.group, RoleCommands.group,
    ]

    /// Runs `anchorage <command> <arguments…>` and returns the exit status.
    public static func run(_ command: String, _ arguments: [String], console: AdminConsole = .standard) -> Int32 {
        guard let group = groups.first(where: { $0.name == command }) else {
            console.note("anchorage: unknown command \(command)")
            return 64
        }
        return group.run(arguments, console: console)
    }
}

/// A subcommand: its help text, what it accepts, and what it does.
struct Subcommand: Sendable {
    var name: String
    var summary: String
    /// The full `--help` text (usage line, description, options).
    var help: String
    var specification: CommandArguments.Specification
    /// Takes the parsed arguments; throws ``CommandArguments/UsageError`` or ``AdminError``.
    var action: @Sendable (CommandArguments, AdminContext) throws -> Void
}

/// What every subcommand gets: the console and the configuration directories.
struct AdminContext {
    var console: AdminConsole
    var workspace: ConfigurationWorkspace
    var arguments: CommandArguments
}

/// `anchorage <group> <subcommand> …`.
struct CommandGroup: Sendable {
    var name: String
    var summary: String
    var subcommands: [Subcommand]

    /// The options every subcommand accepts.
    static let commonOptions: Set<String> = ["pki", "profiles"]

    static let commonHelp = """
          --pki DIR          trust anchors and CRLs (default ./PKI)
          --profiles DIR     profiles and roles (default ./Profiles)
          -h, --help         show this help
        """

    var help: String {
        let width = (subcommands.map(\.name.count).max() ?? 0) + 2
        let lines = subcommands.map {
            "  " + $0.name.padding(toLength: width, withPad: " ", startingAt: 0) + $0.summary
        }
        return """
            usage: anchorage \(name) <subcommand> [options]

            \(summary)

            subcommands:
            \(lines.joined(separator: "\n"))

            Every subcommand takes --pki DIR and --profiles DIR (defaults ./PKI and ./Profiles) and --help.
            Run `anchorage \(name) <subcommand> --help` for its options.
            """
    }

    func run(_ arguments: [String], console: AdminConsole) -> Int32 {
        guard let first = arguments.first else {
            console.note(help)
            return 64
        }
        if first == "--help" || first == "-h" || first == "help" {
            console.print(help)
            return 0
        }
        guard let subcommand = subcommands.first(where: { $0.name == first }) else {
            console.note("anchorage \(name): unknown subcommand \(first)\n\n\(help)")
            return 64
        }
        var specification = subcommand.specification
        specification.options.formUnion(Self.commonOptions)
        do {
            let parsed = try CommandArguments(Array(arguments.dropFirst()), specification)
            if parsed.helpRequested {
                console.print(subcommand.help)
                return 0
            }
            let workspace = ConfigurationWorkspace(
                pkiDirectory: parsed.value("pki") ?? "PKI", profilesDirectory: parsed.value("profiles") ?? "Profiles")
            try subcommand.action(parsed, AdminContext(console: console, workspace: workspace, arguments: parsed))
            return 0
        } catch let error as CommandArguments.UsageError {
            console.note("anchorage \(name) \(subcommand.name): \(error.message)\n\n\(subcommand.help)")
            return 64
        } catch let error as AdminError {
            console.note("anchorage \(name) \(subcommand.name): \(error.description)")
            return 1
        } catch {
            console.note("anchorage \(name) \(subcommand.name): \(error)")
            return 1
        }
    }
}
