import AnchorageCommandLine
import AnchorageConfig
import AnchorageCore

extension Subcommand {
    /// One resource in a `list`: its `show --json` object and its table row.
    struct ListEntry {
        var json: JSONValue
        var row: [String]
    }

    /// The `list` subcommand of a resource group: a table with `columns`, or with `--json` an array of
    /// the objects `show --json` prints. `root`, the directory the resources live in, must exist.
    static func list(
        group: String, plural: String, root: ConfigurationChange.Root, description: String, columns: [String],
        entries: @escaping @Sendable (Inventory) -> [ListEntry]
    ) -> Subcommand {
        Subcommand(
            name: "list", summary: "list \(plural)",
            help: """
                usage: anchorage \(group) list [--json] [--pki DIR] [--profiles DIR]

                  \(description)
                  --json             a JSON array of the objects `show --json` prints
                \(CommandGroup.commonHelp)
                """,
            specification: .init(flags: ["json"]),
            action: { arguments, context throws in
                try context.workspace.requireDirectory(root)
                let listed = entries(Inventory(workspace: context.workspace, console: context.console))
                if arguments.has("json") {
                    context.console.print(PrettyJSON.text(.array(listed.map(\.json))))
                } else {
                    context.console.print(TextOutput.table(columns, listed.map(\.row)))
                }
            })
    }
}
