import AnchorageCommandLine
import AnchorageConfig
import AnchorageCore
import Foundation

/// `anchorage role create|list|show|remove`: `Profiles/roles/<RoleName>.json`.
enum RoleCommands {
    static let group = CommandGroup(
        name: "role", summary: "Define IAM roles and their trust policies (Profiles/roles/<RoleName>.json).",
        subcommands: [create, list, show, remove])

    static let create = Subcommand(
        name: "create", summary: "create a role with a trust policy for Roles Anywhere",
        help: """
            usage: anchorage role create NAME [--condition OPERATOR:KEY=VALUE]... [--trust-anchor ANCHOR]...
                                         [--max-session-duration SECONDS] [--path /PATH/] [--description TEXT]
                                         [--account-id ID] [--arn ARN] [--pki DIR] [--profiles DIR]
                   anchorage role create NAME --policy-file FILE [options]

              Writes Profiles/roles/NAME.json and prints the role ARN (arn:aws:iam::ACCOUNT:role/PATH/NAME).
              The trust policy is one Allow statement for the principal {"Service": "rolesanywhere.amazonaws.com"}
              and the actions sts:AssumeRole, sts:TagSession and sts:SetSourceIdentity, with the conditions given.
              Refused if the role exists or the configuration would not load with it.

              --condition OPERATOR:KEY=VALUE   (repeatable) one condition value. Split: the OPERATOR is the text
                                 before the first ':' (before the second when it starts with ForAnyValue: or
                                 ForAllValues:), the KEY runs from there to the first '=', the VALUE is all the
                                 rest (it may hold ':', '/', ',' and '='). Keys contain ':' and '/'; they never
                                 contain '='. Examples:
                                   StringEquals:aws:PrincipalTag/x509Subject/OU=web
                                   StringLike:aws:PrincipalTag/x509SAN/DNS=*.web.example.com
                                   ForAnyValue:StringEquals:aws:TagKeys=x509Subject/CN
                                 The same OPERATOR:KEY given again adds a value (any value matches); different
                                 keys or operators must all match.
              --trust-anchor ANCHOR  (repeatable) only certificates of this anchor (name or ARN): adds
                                 ArnEquals aws:SourceArn = its ARN
              --policy-file FILE the whole trust policy document (JSON) instead of --condition/--trust-anchor
              --max-session-duration SECONDS  3600-43200 (default 3600)
              --path /PATH/      IAM path, e.g. /team/ (default /)
              --description TEXT stored as Description
              --account-id ID    12-digit account of the ARN (default \(ResourceNaming.defaultAccount))
              --arn ARN          use this role ARN (its last segment must be NAME)
            \(CommandGroup.commonHelp)
            """,
        specification: .init(
            options: ["policy-file", "max-session-duration", "path", "description", "account-id", "arn"],
            repeatableOptions: ["condition", "trust-anchor"], positionals: ["NAME"]),
        action: { arguments, context throws in
            let name = arguments.positionals[0]
            try ResourceNaming.checkRoleName(name)
            let maxDuration = try arguments.integer("max-session-duration", in: 3600...43200, default: 3600)
            let arn = try roleARN(name: name, arguments)
            let inventory = Inventory(workspace: context.workspace, console: context.console)
            let file = inventory.rolesDirectory + "/\(name).json"
            guard !FileManager.default.fileExists(atPath: file) else {
                throw AdminError("role \(name) already exists (\(file)); nothing was changed")
            }
            let policy: JSONValue
            let conditions = try arguments.values("condition").map { text throws(CommandArguments.UsageError) in
                try ConditionArgument(text)
            }
            if let policyFile = arguments.value("policy-file") {
                guard conditions.isEmpty, arguments.values("trust-anchor").isEmpty else {
                    throw CommandArguments.UsageError("--policy-file excludes --condition and --trust-anchor")
                }
                policy = try InputFiles.readJSON(policyFile, what: "policy file")
                do {
                    _ = try PolicyDocument(json: policy)
                } catch {
                    throw AdminError("\(policyFile) is not a valid trust policy: \(error)")
                }
            } else {
                var all: [ConditionArgument] = []
                for anchor in arguments.values("trust-anchor") {
                    let anchorARN = try inventory.findAnchor(anchor).arn
                    guard let anchorARN else { throw AdminError("trust anchor \(anchor) has no readable ARN") }
                    all.append(try ConditionArgument("ArnEquals:aws:SourceArn=\(anchorARN)"))
                }
                all += conditions
                if all.isEmpty {
                    context.console.note(
                        "warning: no --condition or --trust-anchor: any valid certificate of any trust anchor may assume \(name)"
                    )
                }
                policy = RoleDocument.policy([
                    RoleDocument.rolesAnywhereStatement(
                        condition: all.isEmpty ? nil : ConditionArgument.conditionBlock(all))
                ])
            }
            let role = RoleDocument(
                arn: arn, maxSessionDuration: maxDuration, description: arguments.value("description"),
                trustPolicy: policy)
            try context.workspace.apply(
                ConfigurationChange(
                    summary: "creating role \(name)", operation: .writeFile(ConfigurationWriter.roleFile(role))))
            context.console.note("created role \(name) in \(file)")
            context.console.print(arn)
        })

    static let list = Subcommand.list(
        group: "role", plural: "roles", root: .profiles,
        description: "One line per role: name, MaxSessionDuration, the profiles listing it, ARN.",
        columns: ["NAME", "MAX", "PROFILES", "ARN"],
        entries: { inventory in
            let profiles = inventory.profiles()
            return inventory.roles().map { role in
                let listing = profilesListing(role, profiles)
                return .init(
                    json: json(role, profiles: profiles),
                    row: [
                        role.name, role.json["MaxSessionDuration"]?.intValue.map(String.init) ?? "3600",
                        listing.isEmpty ? "-" : listing.joined(separator: ","),
                        role.json["Arn"]?.stringValue ?? "-",
                    ])
            }
        })

    static let show = Subcommand(
        name: "show", summary: "show a role and its trust policy",
        help: """
            usage: anchorage role show NAME|ARN [--json] [--pki DIR] [--profiles DIR]

              The role's ARN, file, MaxSessionDuration, the profiles listing it, and its trust policy.
              --json             the role file's object with "name", "file" and "profiles" added
            \(CommandGroup.commonHelp)
            """,
        specification: .init(flags: ["json"], positionals: ["NAME|ARN"]),
        action: { arguments, context throws in
            let inventory = Inventory(workspace: context.workspace, console: context.console)
            let role = try inventory.findRole(arguments.positionals[0])
            let profiles = inventory.profiles()
            if arguments.has("json") {
                context.console.print(PrettyJSON.text(json(role, profiles: profiles)))
                return
            }
            let listing = profilesListing(role, profiles)
            var policy = role.json["AssumeRolePolicyDocument"] ?? .null
            if case .string(let text) = policy, let parsed = try? JSONParser.parse(text) { policy = parsed }
            context.console.print(
                TextOutput.fields([
                    ("name", role.name), ("arn", role.json["Arn"]?.stringValue ?? "-"), ("file", role.file),
                    ("max session", "\(role.json["MaxSessionDuration"]?.intValue ?? 3600) s"),
                    ("profiles", listing.isEmpty ? "none" : listing.joined(separator: ", ")),
                ]) + "\ntrust policy:\n" + PrettyJSON.text(policy))
        })

    static let remove = Subcommand(
        name: "remove", summary: "delete a role no profile lists",
        help: """
            usage: anchorage role remove NAME|ARN [--pki DIR] [--profiles DIR]

              Deletes Profiles/roles/NAME.json and prints the removed ARN. Refused while a profile lists the
              role (remove it first with `anchorage profile remove-role`).
            \(CommandGroup.commonHelp)
            """,
        specification: .init(positionals: ["NAME|ARN"]),
        action: { arguments, context throws in
            let inventory = Inventory(workspace: context.workspace, console: context.console)
            let role = try inventory.findRole(arguments.positionals[0])
            try context.workspace.apply(
                ConfigurationChange(
                    summary: "removing role \(role.name)",
                    operation: .removeFile(.profiles, "roles/\(role.name).json")))
            context.console.print(role.json["Arn"]?.stringValue ?? "")
        })

    static func roleARN(name: String, _ arguments: CommandArguments) throws(CommandArguments.UsageError) -> String {
        if let explicit = arguments.value("arn") {
            guard let arn = ARN(explicit), arn.service == "iam", arn.resourceType == "role", !arn.account.isEmpty,
                arn.resourceName == name
            else { throw CommandArguments.UsageError("--arn \(explicit) is not an IAM role ARN ending in /\(name)") }
            return explicit
        }
        let account = try ResourceNaming.account(arguments)
        let path = arguments.value("path") ?? "/"
        guard path.hasPrefix("/"), path.hasSuffix("/"), path.count <= 512, !path.contains("//"),
            path.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) })
        else { throw CommandArguments.UsageError("--path \(path) must start and end with / (e.g. /team/)") }
        return "arn:aws:iam::\(account):role\(path)\(name)"
    }

    static func profilesListing(_ role: Inventory.JSONEntry, _ profiles: [Inventory.JSONEntry]) -> [String] {
        guard let arn = role.json["Arn"]?.stringValue else { return [] }
        return profiles.filter { $0.json["roleArns"]?.stringArray?.contains(arn) == true }.map(\.name)
    }

    static func json(_ role: Inventory.JSONEntry, profiles: [Inventory.JSONEntry]) -> JSONValue {
        role.json.setting("name", to: .string(role.name)).setting("file", to: .string(role.file))
            .setting("profiles", to: .array(profilesListing(role, profiles).map(JSONValue.string)))
    }
}
