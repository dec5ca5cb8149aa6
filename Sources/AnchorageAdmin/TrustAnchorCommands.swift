import AnchorageCommandLine
import AnchorageConfig
import AnchorageCore
import AnchorageCrypto

/// `anchorage trust-anchor add|list|show|enable|disable|remove`: `PKI/trust-anchors/<name>/`.
enum TrustAnchorCommands {
    static let group = CommandGroup(
        name: "trust-anchor",
        summary: "Register CA bundles that workload certificates must chain to (PKI/trust-anchors/<name>/).",
        subcommands: [add, list, show, enable, disable, remove])

    static let add = Subcommand(
        name: "add", summary: "register a CA bundle as a new trust anchor",
        help: """
            usage: anchorage trust-anchor add NAME --certificates FILE [--region REGION] [--account-id ID]
                                              [--arn ARN] [--disabled] [--pki DIR] [--profiles DIR]

              Creates PKI/trust-anchors/NAME/ with anchor.json and certificates.pem (the PEM certificates of FILE,
              each a CA certificate) and prints the new trust anchor ARN. The whole configuration is loaded with
              the change before it is made; if it would not load, nothing is written.

              NAME               directory name: 1-128 of A-Z a-z 0-9 . _ -
              --certificates FILE  PEM file with one or more CA certificates (roots or intermediates)
            \(ResourceNaming.regionHelp)
            \(ResourceNaming.accountHelp)
              --arn ARN          use this trust anchor ARN instead of generating one (e.g. to keep an AWS ARN)
              --disabled         create it disabled ("enabled": false)
            \(CommandGroup.commonHelp)
            """,
        specification: .init(
            options: ["certificates", "region", "account-id", "arn"], flags: ["disabled"], positionals: ["NAME"]),
        action: { arguments, context throws in
            let name = arguments.positionals[0]
            try ResourceNaming.checkName(name, what: "trust anchor")
            guard let certificateFile = arguments.value("certificates") else {
                throw CommandArguments.UsageError("--certificates FILE is required")
            }
            let arn = try ResourceNaming.rolesAnywhereARN(type: "trust-anchor", arguments)
            let pem = try InputFiles.read(certificateFile, what: "certificate bundle")
            let certificates: [Certificate]
            do {
                certificates = try Certificate.parsePEMBundle(pem)
            } catch {
                throw AdminError("\(certificateFile) is not a PEM certificate bundle: \(error)")
            }
            guard !certificates.isEmpty else { throw AdminError("\(certificateFile) holds no PEM certificate") }
            try context.workspace.apply(
                ConfigurationChange(
                    summary: "adding trust anchor \(name)",
                    operation: .addDirectory(
                        .pki, ConfigurationWriter.trustAnchorDirectory(name),
                        ConfigurationWriter.trustAnchorFiles(
                            arn: arn, enabled: !arguments.has("disabled"),
                            certificatesPEM: ConfigurationWriter.certificatesPEM(certificates)))))
            context.console.note("added trust anchor \(name) (\(certificates.count) certificate(s))")
            context.console.print(arn)
        })

    static let list = Subcommand.list(
        group: "trust-anchor", plural: "trust anchors", root: .pki,
        description: "One line per trust anchor: name, state, number of certificates and CRLs, ARN.",
        columns: ["NAME", "STATE", "CERTS", "CRLS", "ARN"],
        entries: { inventory in
            inventory.anchors().map {
                .init(
                    json: json($0),
                    row: [
                        $0.name, state($0.enabled), String($0.certificates.count), String($0.crlFiles.count),
                        $0.arn ?? "-",
                    ])
            }
        })

    static let show = Subcommand(
        name: "show", summary: "show one trust anchor with its certificates and CRLs",
        help: """
            usage: anchorage trust-anchor show NAME|ARN [--json] [--pki DIR] [--profiles DIR]

              The anchor's ARN, state, directory, every certificate (subject, issuer, serial, validity, SHA-256)
              and its CRL files.
              --json             one JSON object: name, directory, trustAnchorArn, enabled, certificates, crls
            \(CommandGroup.commonHelp)
            """,
        specification: .init(flags: ["json"], positionals: ["NAME|ARN"]),
        action: { arguments, context throws in
            let anchor = try Inventory(workspace: context.workspace, console: context.console)
                .findAnchor(arguments.positionals[0])
            if arguments.has("json") {
                context.console.print(PrettyJSON.text(json(anchor)))
                return
            }
            var lines: [(String, String)] = [
                ("name", anchor.name), ("arn", anchor.arn ?? "-"), ("state", state(anchor.enabled)),
                ("directory", anchor.directory),
            ]
            for (index, certificate) in anchor.certificates.enumerated() {
                lines += [
                    ("certificate[\(index)]", certificate.subjectString),
                    ("  issuer", certificate.issuerString),
                    ("  serial", certificate.serialNumberHex),
                    (
                        "  valid",
                        "\(TextOutput.time(certificate.notBefore)) to \(TextOutput.time(certificate.notAfter))"
                    ),
                    ("  sha256", certificate.sha256Fingerprint),
                ]
            }
            lines.append(("crls", anchor.crlFiles.isEmpty ? "none" : anchor.crlFiles.joined(separator: ", ")))
            context.console.print(TextOutput.fields(lines))
        })

    static let enable = toggle(enabled: true)
    static let disable = toggle(enabled: false)

    private static func toggle(enabled: Bool) -> Subcommand {
        let verb = enabled ? "enable" : "disable"
        return Subcommand(
            name: verb,
            summary: enabled ? "accept requests naming the anchor again" : "refuse every request naming the anchor",
            help: """
                usage: anchorage trust-anchor \(verb) NAME|ARN [--pki DIR] [--profiles DIR]

                  Sets "enabled": \(enabled) in the anchor's anchor.json (atomically) and prints its ARN.
                \(CommandGroup.commonHelp)
                """,
            specification: .init(positionals: ["NAME|ARN"]),
            action: { arguments, context throws in
                let inventory = Inventory(workspace: context.workspace, console: context.console)
                var arn = ""
                // Read and written under the configuration lock, so a concurrent API call's edit is not lost.
                try context.workspace.apply { () throws(AdminError) -> ConfigurationChange? in
                    let anchor = try inventory.findAnchor(arguments.positionals[0])
                    guard let json = anchor.json else {
                        throw AdminError("\(anchor.directory)/anchor.json is unreadable")
                    }
                    arn = anchor.arn ?? ""
                    if anchor.enabled == enabled {
                        context.console.note("trust anchor \(anchor.name) is already \(verb)d")
                        return nil
                    }
                    context.console.note("\(verb)d trust anchor \(anchor.name)")
                    return ConfigurationChange(
                        summary: "\(verb.dropLast())ing trust anchor \(anchor.name)",
                        operation: .writeFile(
                            ConfigurationWriter.document(
                                .pki, ConfigurationWriter.trustAnchorDirectory(anchor.name) + "/anchor.json",
                                json.setting("enabled", to: .bool(enabled)))))
                }
                context.console.print(arn)
            })
    }

    static let remove = Subcommand(
        name: "remove", summary: "delete a trust anchor with its certificates and CRLs",
        help: """
            usage: anchorage trust-anchor remove NAME|ARN [--pki DIR] [--profiles DIR]

              Removes PKI/trust-anchors/NAME/ (renamed out of the configuration atomically, then deleted) and
              prints the removed ARN. Roles whose conditions name the ARN keep naming it.
            \(CommandGroup.commonHelp)
            """,
        specification: .init(positionals: ["NAME|ARN"]),
        action: { arguments, context throws in
            let anchor = try Inventory(workspace: context.workspace, console: context.console)
                .findAnchor(arguments.positionals[0])
            try context.workspace.apply(
                ConfigurationChange(
                    summary: "removing trust anchor \(anchor.name)",
                    operation: .removeDirectory(.pki, "trust-anchors/\(anchor.name)")))
            context.console.note("removed trust anchor \(anchor.name)")
            context.console.print(anchor.arn ?? "")
        })

    static func state(_ enabled: Bool?) -> String {
        switch enabled {
        case true?: return "enabled"
        case false?: return "disabled"
        case nil: return "unreadable"
        }
    }

    static func json(_ anchor: Inventory.AnchorEntry) -> JSONValue {
        .object([
            "name": .string(anchor.name), "directory": .string(anchor.directory),
            "trustAnchorArn": anchor.arn.map(JSONValue.string) ?? .null,
            "enabled": anchor.enabled.map(JSONValue.bool) ?? .null,
            "certificates": .array(anchor.certificates.map(\.summaryJSON)),
            "crls": .array(anchor.crlFiles.map(JSONValue.string)),
        ])
    }
}
