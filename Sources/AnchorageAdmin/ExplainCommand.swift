import AnchorageCommandLine
import AnchorageConfig
import AnchorageCore
import AnchorageCrypto
import Foundation

/// `anchorage explain`: the whole CreateSession decision for a certificate, step by step, computed by the
/// server's own code (``CreateSessionService/explain(_:configuration:now:)``), so its reason code is the one
/// the audit log would record for the same request.
public enum ExplainCommand {
    public static let help = """
        usage: anchorage explain --certificate FILE [--intermediates FILE] --trust-anchor NAME|ARN
                                 --profile NAME|ARN --role NAME|ARN [--at TIME] [--source-ip ADDRESS]
                                 [--duration SECONDS] [--role-session-name NAME] [--json]
                                 [--pki DIR] [--profiles DIR]

        Shows why a certificate would be allowed or denied: the path built to the trust anchor (or why none),
        each certificate check, the CRL and revocation results, the profile and role checks, the principal
        tags and context keys derived, every trust-policy statement and condition with the values compared,
        and the final decision with its reason code (the audit log's `reason`).

        The request signature is not part of it: explain starts where a verified request would.

          --certificate FILE        the leaf certificate (PEM)
          --intermediates FILE      chain certificates (PEM bundle), as X-Amz-X509-Chain would carry them
          --trust-anchor NAME|ARN, --profile NAME|ARN, --role NAME|ARN
                                    what the request names; a name is looked up in the configuration
                                    as the other admin commands do (--trust-anchor-arn, --profile-arn and
                                    --role-arn are the same options under their older names)
          --at TIME                 decide at TIME (ISO 8601, e.g. 2026-11-25T03:04:05Z) instead of now
          --source-ip ADDRESS       the caller's address (aws:SourceIp)
          --duration SECONDS        requested durationSeconds
          --role-session-name NAME  requested roleSessionName
          --json                    the decision as JSON
          --pki DIR                 trust anchors and CRLs (default ./PKI)
          --profiles DIR            profiles and roles (default ./Profiles)

        Exit status: 0 allowed, 1 denied (or the configuration does not load), 64 usage error.
        """

    static let specification = CommandArguments.Specification(
        options: [
            "certificate", "intermediates", "trust-anchor", "trust-anchor-arn", "profile", "profile-arn", "role",
            "role-arn", "at", "source-ip",
            "duration", "role-session-name", "pki", "profiles",
        ],
        flags: ["json"])

    /// Runs `anchorage explain <arguments…>` and returns the exit status.
    public static func run(_ arguments: [String], console: AdminConsole = .standard) -> Int32 {
        do {
            let parsed = try CommandArguments(arguments, specification)
            if parsed.helpRequested {
                console.print(help)
                return 0
            }
            return try explain(parsed, console: console)
        } catch let error as CommandArguments.UsageError {
            console.note("anchorage explain: \(error)\n\n\(help)")
            return 64
        } catch {
            console.note("anchorage explain: \(error)")
            return 1
        }
    }

    private static func required(_ parsed: CommandArguments, _ name: String) throws(CommandArguments.UsageError)
        -> String
    {
        guard let value = parsed.value(name) else { throw CommandArguments.UsageError("--\(name) is required") }
        return value
    }

    /// `--OPTION NAME|ARN` (or `--OPTION-arn`): an ARN as given, a name through `lookUp`, as the other admin
    /// commands take them. An unknown ARN is the decision's to refuse (`unknown_…`), like the server's.
    private static func nameOrARN(
        _ parsed: CommandArguments, _ option: String, lookUp: (String) throws(AdminError) -> String
    ) throws -> String {
        let given = [parsed.value(option), parsed.value(option + "-arn")].compactMap { $0 }
        guard given.count == 1, let value = given.first else {
            throw CommandArguments.UsageError(
                given.isEmpty
                    ? "--\(option) NAME|ARN is required"
                    : "give --\(option) or --\(option)-arn, not both")
        }
        return value.hasPrefix("arn:") ? value : try lookUp(value)
    }

    private static func explain(_ parsed: CommandArguments, console: AdminConsole) throws -> Int32 {
        let certificateFile = try required(parsed, "certificate")
        let workspace = ConfigurationWorkspace(
            pkiDirectory: parsed.value("pki") ?? "PKI", profilesDirectory: parsed.value("profiles") ?? "Profiles")
        let inventory = Inventory(workspace: workspace, console: console)
        let trustAnchorArn = try nameOrARN(parsed, "trust-anchor") { name throws(AdminError) in
            let anchor = try inventory.findAnchor(name)
            guard let arn = anchor.arn else {
                throw AdminError("\(anchor.directory)/anchor.json has no trustAnchorArn")
            }
            return arn
        }
        let profileArn = try nameOrARN(parsed, "profile") { name throws(AdminError) in
            let profile = try inventory.findProfile(name)
            guard let arn = profile.json["profileArn"]?.stringValue else {
                throw AdminError("\(profile.file) has no profileArn")
            }
            return arn
        }
        let roleArn = try nameOrARN(parsed, "role") { name throws(AdminError) in try inventory.roleARN(name) }
        var now = SystemClock().seconds
        if let at = parsed.value("at") {
            guard let parsedTime = UTCTimestamp.parseISO8601(at) ?? Int64(at) else {
                throw CommandArguments.UsageError("--at must be an ISO 8601 time such as 2026-11-25T03:04:05Z")
            }
            now = parsedTime
        }
        var duration: Int?
        if let text = parsed.value("duration") {
            guard let value = Int(text) else { throw CommandArguments.UsageError("--duration must be an integer") }
            duration = value
        }
        let certificates = try readCertificates(certificateFile)
        guard let leaf = certificates.first else { throw AdminError("\(certificateFile) holds no certificate") }
        let chain = try parsed.value("intermediates").map(readCertificates) ?? []

        let loader = ConfigurationLoader(
            pkiDirectory: workspace.pkiDirectory, profilesDirectory: workspace.profilesDirectory)
        let configuration: Configuration
        do {
            configuration = try loader.load(generation: 1)
        } catch {
            for issue in error.issues { console.note("error: \(issue)") }
            console.note("anchorage explain: the configuration does not load")
            return 1
        }
        // Explain never mints: the keyring only satisfies the service's initialiser.
        let service = CreateSessionService(keyring: TokenKeyring.generate(id: "explain", random: SystemRandomSource()))
        let request = SessionRequest(
            certificate: leaf, chain: chain, trustAnchorArn: trustAnchorArn, profileArn: profileArn, roleArn: roleArn,
            durationSeconds: duration, roleSessionName: parsed.value("role-session-name"),
            sourceAddress: parsed.value("source-ip"))
        let explanation = service.explain(request, configuration: configuration, now: now)

        if parsed.has("json") {
            let steps = explanation.trace.map {
                JSONValue.object([
                    JSONMember(key: "check", value: .string($0.check)),
                    JSONMember(key: "outcome", value: .string($0.outcome.rawValue)),
                    JSONMember(key: "detail", value: .string($0.detail)),
                ])
            }
            let document = JSONValue.object([
                JSONMember(key: "decision", value: .string(explanation.reason == nil ? "allowed" : "denied")),
                JSONMember(key: "reason", value: explanation.reason.map { .string($0.rawValue) } ?? .null),
                JSONMember(key: "detail", value: .string(explanation.detail)),
                JSONMember(key: "at", value: .string(UTCTimestamp.iso8601(now))),
                JSONMember(key: "steps", value: .array(steps)),
            ])
            console.print(JSONWriter.string(document))
        } else {
            console.print("explain at \(UTCTimestamp.iso8601(now))")
            for step in explanation.trace {
                let mark = step.outcome == .pass ? "ok  " : step.outcome == .fail ? "FAIL" : "    "
                console.print("\(mark) \(step.check): \(step.detail)")
            }
            if let reason = explanation.reason {
                console.print("DENIED (\(reason.rawValue)): \(explanation.detail)")
            } else {
                console.print("ALLOWED")
            }
        }
        return explanation.reason == nil ? 0 : 1
    }

    private static func readCertificates(_ path: String) throws -> [Certificate] {
        guard let data = FileManager.default.contents(atPath: path) else { throw AdminError("cannot read \(path)") }
        do {
            return try Certificate.parsePEMBundle([UInt8](data))
        } catch {
            throw AdminError("\(path): not a PEM certificate: \(error)")
        }
    }
}
