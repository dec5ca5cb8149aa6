import AnchorageCommandLine
import AnchorageConfig
import AnchorageCore
import AnchorageCrypto

/// `anchorage crl import|list|remove`: `PKI/trust-anchors/<anchor>/crls/<name>.pem`.
enum CRLCommands {
    static let group = CommandGroup(
        name: "crl", summary: "Import, list and remove the CRLs of a trust anchor (PKI/trust-anchors/<name>/crls/).",
        subcommands: [importCRL, list, remove])

    static let importCRL = Subcommand(
        name: "import", summary: "import (or replace) a CRL for a trust anchor",
        help: """
            usage: anchorage crl import ANCHOR FILE [--name NAME] [--pki DIR] [--profiles DIR]

              Reads FILE (PEM, one or more X509 CRL blocks, or one DER CRL), checks it, and writes it as PEM to
              PKI/trust-anchors/ANCHOR/crls/NAME.pem, replacing a CRL of the same name atomically. Prints the
              file written. Every CRL file present is in force for the leaf and the intermediates of the path.

              Checks: the file parses; a CRL issued by a certificate of the anchor must verify with that
              certificate's key (refused otherwise). A CRL whose issuer is not an anchor certificate (an
              intermediate's CRL) is accepted with a warning: its signature is checked against the
              intermediate at request time. A CRL past its nextUpdate is accepted with a warning (it stays in
              force). Then the whole configuration is loaded with the change before it is made.

              ANCHOR             trust anchor name or ARN
              --name NAME        file name without extension (default: FILE's name without .pem/.crl/.der)
            \(CommandGroup.commonHelp)
            """,
        specification: .init(options: ["name"], positionals: ["ANCHOR", "FILE"]),
        action: { arguments, context throws in
            let inventory = Inventory(workspace: context.workspace, console: context.console)
            let anchor = try inventory.findAnchor(arguments.positionals[0])
            let file = arguments.positionals[1]
            let name = arguments.value("name") ?? defaultName(file)
            try ResourceNaming.checkName(name, what: "CRL")
            let bytes = try InputFiles.read(file, what: "CRL")
            let lists: [CertificateRevocationList]
            do {
                lists = try CertificateRevocationList.parse(fileBytes: bytes)
            } catch {
                throw AdminError("\(file) is not a CRL (PEM or DER): \(error)")
            }
            let now = SystemClock().seconds
            for list in lists {
                let issuers = anchor.certificates.filter { list.isNamedAsIssuer($0) }
                if issuers.isEmpty {
                    context.console.note(
                        "warning: the CRL issuer \(list.issuerString) is not a certificate of trust anchor \(anchor.name); "
                            + "its signature will be checked against the intermediate at request time")
                } else if !issuers.contains(where: { list.isSignatureValid(issuedBy: $0) }) {
                    throw AdminError(
                        "the signature of the CRL from \(list.issuerString) does not verify with the anchor's certificate; "
                            + "nothing was changed")
                }
                if let next = list.nextUpdate, next < now {
                    context.console.note(
                        "warning: the CRL from \(list.issuerString) is past its nextUpdate (\(UTCTimestamp.iso8601(next))); "
                            + "it stays in force")
                }
            }
            let existingDER = anchor.crlFiles.contains(name + ".crl")
            if existingDER {
                throw AdminError(
                    "\(anchor.directory)/crls/\(name).crl exists (DER); remove it first (`anchorage crl remove \(anchor.name) \(name)`) "
                        + "or import under another --name")
            }
            if anchor.crlFiles.contains(name + ".pem") {
                context.console.note("replacing \(anchor.directory)/crls/\(name).pem")
            }
            let crlFile = ConfigurationWriter.crlFile(anchor: anchor.name, name: name, lists)
            try context.workspace.apply(
                ConfigurationChange(
                    summary: "importing CRL \(name) into trust anchor \(anchor.name)",
                    operation: .writeFile(crlFile)))
            context.console.note(
                "imported \(lists.count) CRL(s), \(lists.map(\.revokedCount).reduce(0, +)) revoked certificate(s)")
            context.console.print(context.workspace.path(.pki, crlFile.path))
        })

    static let list = Subcommand(
        name: "list", summary: "list CRLs (of one trust anchor or all)",
        help: """
            usage: anchorage crl list [ANCHOR] [--json] [--pki DIR] [--profiles DIR]

              One line per CRL: anchor, name, issuer, thisUpdate, nextUpdate, revoked count, and "stale" when past
              nextUpdate, or "disabled" for a CRL disabled through the API (NAME.pem.disabled: kept, not in force).
              --json             a JSON array of {anchor, name, file, issuer, thisUpdate, nextUpdate, revoked, stale,
                                 enabled}
            \(CommandGroup.commonHelp)
            """,
        specification: .init(flags: ["json"], positionals: ["ANCHOR"], optionalPositionals: 1),
        action: { arguments, context throws in
            try context.workspace.requireDirectory(.pki)
            let inventory = Inventory(workspace: context.workspace, console: context.console)
            let anchors =
                try arguments.positional(0).map { name throws(AdminError) in [try inventory.findAnchor(name)] }
                ?? inventory.anchors()
            let now = SystemClock().seconds
            var entries: [JSONValue] = []
            var rows: [[String]] = []
            for anchor in anchors {
                // In force (`*.pem`, `*.crl`) and disabled through the API (`*.disabled`), by file name.
                for fileName in inventory.list(anchor.directory + "/crls") {
                    guard let (name, enabled) = CRLFiles.dataFile(fileName) else { continue }
                    let file = anchor.directory + "/crls/" + fileName
                    guard let bytes = try? InputFiles.read(file, what: "CRL"),
                        let lists = try? CertificateRevocationList.parse(fileBytes: bytes)
                    else {
                        context.console.note("warning: \(file) is not a readable CRL")
                        continue
                    }
                    for list in lists {
                        let stale = list.nextUpdate.map { $0 < now } ?? false
                        entries.append(
                            .object([
                                "anchor": .string(anchor.name), "name": .string(name), "file": .string(file),
                                "issuer": .string(list.issuerString),
                                "thisUpdate": .string(UTCTimestamp.iso8601(list.thisUpdate)),
                                "nextUpdate": list.nextUpdate.map { .string(UTCTimestamp.iso8601($0)) } ?? .null,
                                "revoked": .number(String(list.revokedCount)), "stale": .bool(stale),
                                "enabled": .bool(enabled),
                            ]))
                        rows.append([
                            anchor.name, name, list.issuerString, TextOutput.time(list.thisUpdate),
                            TextOutput.time(list.nextUpdate), String(list.revokedCount),
                            !enabled ? "disabled" : stale ? "stale" : "current",
                        ])
                    }
                }
            }
            if arguments.has("json") {
                context.console.print(PrettyJSON.text(.array(entries)))
            } else {
                context.console.print(
                    TextOutput.table(
                        ["ANCHOR", "NAME", "ISSUER", "THIS UPDATE", "NEXT UPDATE", "REVOKED", "STATUS"], rows))
            }
        })

    static let remove = Subcommand(
        name: "remove", summary: "remove a CRL from a trust anchor",
        help: """
            usage: anchorage crl remove ANCHOR NAME [--pki DIR] [--profiles DIR]

              Deletes PKI/trust-anchors/ANCHOR/crls/NAME.pem (or NAME.crl, or NAME.pem.disabled) with the API's
              sidecar NAME.json if there is one, and prints the file removed.
              ANCHOR             trust anchor name or ARN
              NAME               the CRL file name, with or without its extension
            \(CommandGroup.commonHelp)
            """,
        specification: .init(positionals: ["ANCHOR", "NAME"]),
        action: { arguments, context throws in
            let anchor = try Inventory(workspace: context.workspace, console: context.console)
                .findAnchor(arguments.positionals[0])
            let name = arguments.positionals[1]
            let inventory = Inventory(workspace: context.workspace, console: context.console)
            let entries = inventory.list(anchor.directory + "/crls")
            let files = entries.filter { CRLFiles.dataFile($0) != nil }
            // The file name, or the name without extension (which also finds a disabled NAME.pem.disabled).
            let candidates = files.filter { $0 == name || CRLFiles.dataFile($0)?.stem == name }
            guard candidates.count == 1, let fileName = candidates.first else {
                throw AdminError(
                    candidates.isEmpty
                        ? "trust anchor \(anchor.name) has no CRL \(name) (has: \(files.joined(separator: ", ")))"
                        : "\(name) is ambiguous: \(candidates.joined(separator: ", ")); give the file name")
            }
            // The API's sidecar (NAME.json) goes first, the data second: a crash in between leaves a CRL that loads.
            let directory = "trust-anchors/\(anchor.name)/crls/"
            let sidecar = (CRLFiles.dataFile(fileName)?.stem ?? fileName) + CRLFiles.sidecarExtension
            let hasSidecar = entries.contains(sidecar)
            try context.workspace.apply(
                ConfigurationChange(
                    summary: "removing CRL \(fileName) from trust anchor \(anchor.name)",
                    operations: (hasSidecar ? [.removeFile(.pki, directory + sidecar)] : [])
                        + [.removeFile(.pki, directory + fileName)]))
            context.console.print(anchor.directory + "/crls/" + fileName)
        })

    /// `root.crl.pem` → `root`, `issuing-ca.crl` → `issuing-ca`.
    static func defaultName(_ file: String) -> String {
        var name = Substring(file.split(separator: "/").last ?? "")
        for suffix in [".pem", ".der", ".crl"] where name.hasSuffix(suffix) { name = name.dropLast(suffix.count) }
        return String(name)
    }
}
