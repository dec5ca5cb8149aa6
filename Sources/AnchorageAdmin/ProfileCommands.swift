import AnchorageCommandLine
import AnchorageConfig
import AnchorageCore
import Foundation

/// `anchorage profile create|list|show|enable|disable|add-role|remove-role|remove`: `Profiles/<name>.json`.
enum ProfileCommands {
    static let group = CommandGroup(
        name: "profile",
        summary: "Define profiles: which roles a certificate may assume, for how long (Profiles/<name>.json).",
        subcommands: [create, list, show, enable, disable, addRole, removeRole, remove])

    static let create = Subcommand(
        name: "create", summary: "create a profile",
        help: """
            usage: anchorage profile create NAME [--role ROLE]... [--duration-seconds SECONDS]
                                            [--accept-role-session-name] [--disabled] [--session-policy-file FILE]
                                            [--managed-policy-arn ARN]... [--region REGION] [--account-id ID]
                                            [--arn ARN] [--pki DIR] [--profiles DIR]

              Writes Profiles/NAME.json (AWS's ProfileDetail shape) and prints the new profile ARN.
              Refused if the profile exists, or if the configuration would not load with it (e.g. a role
              that is not defined).

              --role ROLE        (repeatable) a role name (looked up in Profiles/roles/) or role ARN
              --duration-seconds SECONDS  session length, 900-43200 (default 3600)
              --accept-role-session-name  let requests set roleSessionName
              --disabled         create it disabled
              --session-policy-file FILE  inline session policy (JSON), stored as the sessionPolicy string
              --managed-policy-arn ARN    (repeatable) stored in managedPolicyArns
            \(ResourceNaming.regionHelp)
            \(ResourceNaming.accountHelp)
              --arn ARN          use this profile ARN instead of generating one
            \(CommandGroup.commonHelp)
            """,
        specification: .init(
            options: ["duration-seconds", "session-policy-file", "region", "account-id", "arn"],
            repeatableOptions: ["role", "managed-policy-arn"], flags: ["accept-role-session-name", "disabled"],
            positionals: ["NAME"]),
        action: { arguments, context throws in
            let name = arguments.positionals[0]
            try ResourceNaming.checkName(name, what: "profile")
            let duration = try arguments.integer("duration-seconds", in: 900...43200, default: 3600)
            let arn = try ResourceNaming.rolesAnywhereARN(type: "profile", arguments)
            let inventory = Inventory(workspace: context.workspace, console: context.console)
            let file = context.workspace.profilesDirectory + "/\(name).json"
            guard !FileManager.default.fileExists(atPath: file) else {
                throw AdminError("profile \(name) already exists (\(file)); nothing was changed")
            }
            var roleArns: [String] = []
            for role in arguments.values("role") {
                let roleARN = try inventory.roleARN(role)
                if !roleArns.contains(roleARN) { roleArns.append(roleARN) }
            }
            if roleArns.isEmpty {
                context.console.note("warning: the profile lists no role yet (add one with add-role)")
            }
            var sessionPolicy: String?
            if let policyFile = arguments.value("session-policy-file") {
                let policy = try InputFiles.readJSON(policyFile, what: "session policy file")
                sessionPolicy = JSONWriter.string(policy)
            }
            let profile = ProfileDocument(
                name: name, arn: arn, enabled: !arguments.has("disabled"), roleArns: roleArns,
                durationSeconds: duration, acceptRoleSessionName: arguments.has("accept-role-session-name"),
                sessionPolicy: sessionPolicy, managedPolicyArns: arguments.values("managed-policy-arn"))
            try context.workspace.apply(
                ConfigurationChange(
                    summary: "creating profile \(name)", operation: .writeFile(ConfigurationWriter.profileFile(profile))
                ))
            context.console.note("created profile \(name) in \(file)")
            context.console.print(arn)
        })

    static let list = Subcommand.list(
        group: "profile", plural: "profiles", root: .profiles,
        description: "One line per profile: name, state, durationSeconds, role names, ARN.",
        columns: ["NAME", "STATE", "DURATION", "ROLES", "ARN"],
        entries: { inventory in
            inventory.profiles().map { profile in
                let roles = (profile.json["roleArns"]?.stringArray ?? []).map { ARN($0)?.resourceName ?? $0 }
                return .init(
                    json: json(profile),
                    row: [
                        profile.name, TrustAnchorCommands.state(profile.json["enabled"]?.boolValue),
                        String(profile.json["durationSeconds"]?.intValue ?? 3600),
                        roles.isEmpty ? "-" : roles.joined(separator: ","),
                        profile.json["profileArn"]?.stringValue ?? "-",
                    ])
            }
        })

    static let show = Subcommand(
        name: "show", summary: "show one profile",
        help: """
            usage: anchorage profile show NAME|ARN [--json] [--pki DIR] [--profiles DIR]

              The profile's ARN, file, state, duration, roles and options.
              --json             the profile file's object with "name" and "file" added
            \(CommandGroup.commonHelp)
            """,
        specification: .init(flags: ["json"], positionals: ["NAME|ARN"]),
        action: { arguments, context throws in
            let profile = try Inventory(workspace: context.workspace, console: context.console)
                .findProfile(arguments.positionals[0])
            if arguments.has("json") {
                context.console.print(PrettyJSON.text(json(profile)))
                return
            }
            let json = profile.json
            let roles = json["roleArns"]?.stringArray ?? []
            context.console.print(
                TextOutput.fields([
                    ("name", profile.name), ("arn", json["profileArn"]?.stringValue ?? "-"), ("file", profile.file),
                    ("state", TrustAnchorCommands.state(json["enabled"]?.boolValue)),
                    ("duration", "\(json["durationSeconds"]?.intValue ?? 3600) s"),
                    (
                        "roles",
                        roles.isEmpty ? "none" : roles.joined(separator: "\n" + String(repeating: " ", count: 24))
                    ),
                    (
                        "role session name",
                        json["acceptRoleSessionName"]?.boolValue == true ? "accepted" : "not accepted"
                    ),
                    ("session policy", json["sessionPolicy"]?.stringValue ?? "none"),
                    ("managed policies", (json["managedPolicyArns"]?.stringArray ?? []).joined(separator: ", ")),
                    (
                        "attribute mappings",
                        json["attributeMappings"].map { $0 == .null ? "AWS default" : JSONWriter.string($0) }
                            ?? "AWS default"
                    ),
                ]))
        })

    static let enable = toggle(enabled: true)
    static let disable = toggle(enabled: false)

    private static func toggle(enabled: Bool) -> Subcommand {
        let verb = enabled ? "enable" : "disable"
        return Subcommand(
            name: verb,
            summary: enabled ? "accept requests naming the profile again" : "refuse every request naming the profile",
            help: """
                usage: anchorage profile \(verb) NAME|ARN [--pki DIR] [--profiles DIR]

                  Sets "enabled": \(enabled) in Profiles/NAME.json (atomically) and prints the profile ARN.
                \(CommandGroup.commonHelp)
                """,
            specification: .init(positionals: ["NAME|ARN"]),
            action: { arguments, context throws in
                // Read and written under the configuration lock: a concurrent API call or CLI run cannot slip
                // an edit of the same file in between (it would be lost).
                var arn = ""
                try context.workspace.apply { () throws(AdminError) -> ConfigurationChange? in
                    let profile = try Inventory(workspace: context.workspace, console: context.console)
                        .findProfile(arguments.positionals[0])
                    arn = profile.json["profileArn"]?.stringValue ?? ""
                    if profile.json["enabled"]?.boolValue == enabled {
                        context.console.note("profile \(profile.name) is already \(verb)d")
                        return nil
                    }
                    context.console.note("\(verb)d profile \(profile.name)")
                    return ConfigurationChange(
                        summary: "\(verb.dropLast())ing profile \(profile.name)",
                        operation: .writeFile(profileFile(profile, profile.json.setting("enabled", to: .bool(enabled))))
                    )
                }
                context.console.print(arn)
            })
    }

    static let addRole = Subcommand(
        name: "add-role", summary: "let a profile hand out a role",
        help: """
            usage: anchorage profile add-role PROFILE ROLE [--pki DIR] [--profiles DIR]

              Appends ROLE's ARN to the profile's roleArns and prints the profile's role ARNs, one a line.
              PROFILE            profile name or ARN
              ROLE               role name (Profiles/roles/ROLE.json) or role ARN; it must be defined
            \(CommandGroup.commonHelp)
            """,
        specification: .init(positionals: ["PROFILE", "ROLE"]),
        action: { arguments, context throws in
            let inventory = Inventory(workspace: context.workspace, console: context.console)
            var roles: [String] = []
            // Read and written under the configuration lock (see `toggle`).
            try context.workspace.apply { () throws(AdminError) -> ConfigurationChange? in
                let profile = try inventory.findProfile(arguments.positionals[0])
                let roleARN = try inventory.roleARN(arguments.positionals[1])
                roles = profile.json["roleArns"]?.stringArray ?? []
                if roles.contains(roleARN) {
                    context.console.note("profile \(profile.name) already lists \(roleARN)")
                    return nil
                }
                roles.append(roleARN)
                return ConfigurationChange(
                    summary: "adding role \(roleARN) to profile \(profile.name)",
                    operation: .writeFile(
                        profileFile(profile, profile.json.setting("roleArns", to: .array(roles.map(JSONValue.string))))
                    ))
            }
            context.console.print(roles.joined(separator: "\n"))
        })

    static let removeRole = Subcommand(
        name: "remove-role", summary: "stop a profile handing out a role",
        help: """
            usage: anchorage profile remove-role PROFILE ROLE [--pki DIR] [--profiles DIR]

              Removes ROLE's ARN from the profile's roleArns and prints the remaining role ARNs, one a line.
              PROFILE            profile name or ARN
              ROLE               role name or role ARN
            \(CommandGroup.commonHelp)
            """,
        specification: .init(positionals: ["PROFILE", "ROLE"]),
        action: { arguments, context throws in
            let inventory = Inventory(workspace: context.workspace, console: context.console)
            let role = arguments.positionals[1]
            var roles: [String] = []
            // Read and written under the configuration lock (see `toggle`).
            try context.workspace.apply { () throws(AdminError) -> ConfigurationChange? in
                let profile = try inventory.findProfile(arguments.positionals[0])
                roles = profile.json["roleArns"]?.stringArray ?? []
                // By ARN, or by name: the role file may be gone already, so match the ARN's last segment too.
                let roleARN = (try? inventory.roleARN(role)) ?? role
                let before = roles.count
                roles.removeAll { $0 == roleARN || (!role.hasPrefix("arn:") && ARN($0)?.resourceName == role) }
                guard roles.count < before else {
                    throw AdminError("profile \(profile.name) does not list \(role); nothing was changed")
                }
                return ConfigurationChange(
                    summary: "removing role \(role) from profile \(profile.name)",
                    operation: .writeFile(
                        profileFile(profile, profile.json.setting("roleArns", to: .array(roles.map(JSONValue.string))))
                    ))
            }
            context.console.print(roles.joined(separator: "\n"))
        })

    static let remove = Subcommand(
        name: "remove", summary: "delete a profile",
        help: """
            usage: anchorage profile remove NAME|ARN [--pki DIR] [--profiles DIR]

              Deletes Profiles/NAME.json and prints the removed profile ARN. Its roles stay defined.
            \(CommandGroup.commonHelp)
            """,
        specification: .init(positionals: ["NAME|ARN"]),
        action: { arguments, context throws in
            let profile = try Inventory(workspace: context.workspace, console: context.console)
                .findProfile(arguments.positionals[0])
            try context.workspace.apply(
                ConfigurationChange(
                    summary: "removing profile \(profile.name)",
                    operation: .removeFile(.profiles, "\(profile.name).json")))
            context.console.print(profile.json["profileArn"]?.stringValue ?? "")
        })

    /// The profile's file with `json`, an edit of its document (keys it does not know are kept as they are).
    static func profileFile(_ profile: Inventory.JSONEntry, _ json: JSONValue) -> ConfigurationWriter.File {
        ConfigurationWriter.document(.profiles, "\(profile.name).json", json)
    }

    static func json(_ profile: Inventory.JSONEntry) -> JSONValue {
        profile.json.setting("name", to: .string(profile.name)).setting("file", to: .string(profile.file))
    }
}
