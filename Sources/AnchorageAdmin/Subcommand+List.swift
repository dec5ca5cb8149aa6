import AnchorageCommandLine
import AnchorageCore

extension Subcommand {
    /// One resource in a `list`: its `show --json` object and its table row.
    struct ListEntry {
        var json: JSONValue
        var row: [String]
    }

    /// The `list` subcommand of a resource group: a table with `columns`, or with `--json` an array of
    /// the objects `show --json` prints.
    static func list(
        group: String, plural: String, description: String, columns: [String],
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
                let listed = entries(Inventory(workspace: context.workspace, console: context.console))
                if arguments.has("json") {
                    context.console.print(PrettyJSON.text(.array(listed.map(\.json))))
                } else {
                    context.console.print(TextOutput.table(columns, listed.map(\.row)))
                }
            })
    }
}
