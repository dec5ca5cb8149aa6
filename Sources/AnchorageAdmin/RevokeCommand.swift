import AnchorageCommandLine
import AnchorageConfig
public import AnchorageCore
import AnchorageCrypto
import AnchorageRedis
import Foundation

/// `anchorage revoke`: records revocations in `PKI/revocations.json`, lists and lifts them.
///
/// Every server sharing the configuration applies a change within its reload delay (files are polled
/// every second; SIGHUP reloads at once) and writes a `Revoke`/`Unrevoke` line to its audit log.
public enum RevokeCommand {
    public static let usage = """
        usage: anchorage revoke [--pki DIR] [--profiles DIR] SELECTOR [--reason TEXT] [--state-dir DIR]... [SHARED]
               anchorage revoke [--pki DIR] --list [--json]
               anchorage revoke [--pki DIR] [--profiles DIR] --remove ID [SHARED]

          SELECTOR is exactly one of:
            --serial HEX            a certificate serial as `openssl x509 -noout -serial` prints it
                                    (any case, colons allowed); with --trust-anchor ARN only under that anchor
            --sha256 HEX            a certificate's SHA-256 fingerprint (`openssl x509 -noout -fingerprint -sha256`)
            --access-key-id ID      one session
            --trust-anchor ARN      every session issued through the anchor before --issued-before
            --role ARN              every session of the role issued before --issued-before
          --issued-before TIME      YYYY-MM-DDTHH:MM:SSZ or `now` (default: now) for --trust-anchor and --role
          --reason TEXT             recorded with the revocation
          --list                    print the revocations in force (--json: the file's JSON)
          --remove ID               lift a revocation (un-revoke)
          --state-dir DIR           a server's --state-dir (repeatable): list the live brokered sessions (roles with
                                    an "Upstream") the revocation covers, from its audit log — the upstream STS
                                    issued them and they stay valid until they expire
          SHARED: --shared-state redis[s]://[USER@]HOST:PORT[/DB] [--shared-state-password-file FILE]
                  [--shared-state-ca-file FILE]
                                    also publish the change to the replicas sharing that Redis
                                    (`serve --shared-state`): they apply it within a second, whatever
                                    their own files say; the file stays the record

          A revoked certificate can no longer create sessions; every matching session fails GetCallerIdentity
          and GetSessionContext with InvalidClientTokenId within the servers' reload delay (<= 2 s).
          Exit status 0 on success, 1 when the file or the configuration is invalid, 64 on a usage error.
        """

    static let options: Set<String> = [
        "pki", "profiles", "serial", "sha256", "access-key-id", "trust-anchor", "role", "issued-before", "reason",
        "remove", "state-dir", "shared-state", "shared-state-password-file", "shared-state-ca-file",
    ]
    static let flags: Set<String> = ["list", "json"]

    public static func run(_ arguments: [String], clock: any WallClock = SystemClock()) -> Int32 {
        let parsed: CommandArguments
        do {
            parsed = try CommandArguments(arguments, .init(options: options, flags: flags))
        } catch {
            return usageError("\(error)")
        }
        if parsed.helpRequested {
            print(usage)
            return 0
        }
        let loader = ConfigurationLoader(
            pkiDirectory: parsed.value("pki") ?? "PKI", profilesDirectory: parsed.value("profiles") ?? "Profiles")
        if parsed.has("list") {
            guard parsed.givenOptions.isSubset(of: ["pki", "profiles", "list", "json"]) else {
                return usageError("--list takes only --pki, --profiles and --json")
            }
            return list(loader, json: parsed.has("json"))
        }
        var publisher: SharedRevocationPublisher?
        if let url = parsed.value("shared-state") {
            do {
                publisher = try SharedRevocationPublisher(
                    url: url, passwordFile: parsed.value("shared-state-password-file"),
                    caFile: parsed.value("shared-state-ca-file"))
            } catch {
                return usageError("--shared-state: \(error.detail)")
            }
        }
        if publisher == nil,
            parsed.value("shared-state-password-file") != nil || parsed.value("shared-state-ca-file") != nil
        {
            return usageError("--shared-state-password-file and --shared-state-ca-file need --shared-state")
        }
        if let id = parsed.value("remove") {
            guard
                parsed.givenOptions.subtracting(["json"]).isSubset(
                    of: [
                        "pki", "profiles", "remove", "shared-state", "shared-state-password-file",
                        "shared-state-ca-file",
                    ])
            else {
                return usageError("--remove takes only --pki, --profiles and the --shared-state options")
            }
            let status = update(loader) { list in
                guard let entry = list.entry(withID: id) else {
                    throw RevokeError("no revocation with id \(id) in \(loader.revocationsFile)")
                }
                print("removed \(entry.id): \(entry.summary)")
                return RevocationList(list.entries.filter { $0.id != id })
            }
            guard status == 0, let publisher else { return status }
            return publisher.publish(removing: id)
        }
        let selector: Revocation.Selector
        do {
            selector = try makeSelector(parsed, now: clock.seconds)
        } catch {
            return usageError(error.message)
        }
        let reason = parsed.value("reason")
        let stateDirectories = parsed.values("state-dir")
        var inForce: Revocation?
        var added: Revocation?
        let status = update(loader) { list in
            if let existing = list.entries.first(where: { $0.selector == selector }) {
                print("already revoked as \(existing.id): \(existing.summary)")
                inForce = existing
                return list
            }
            let revocation = Revocation(
                id: "r-" + Hex.encode(SecureRandom.bytes(6)), selector: selector, revokedAt: clock.seconds,
                revokedBy: currentUser(), reason: reason)
            print("revoked \(revocation.id): \(revocation.summary)")
            added = revocation
            inForce = revocation
            return RevocationList(list.entries + [revocation])
        }
        // Brokered sessions are the upstream's: say that this revocation cannot reach them.
        if status == 0, let added {
            for line in BrokeredSessionsWarning.lines(
                for: added, loader: loader, stateDirectories: stateDirectories, now: clock.seconds)
            {
                FileHandle.standardError.write(Data((line + "\n").utf8))
            }
        }
        // Published (again, when it was in the file already) after the file: the file is the record.
        guard status == 0, let publisher, let inForce else { return status }
        return publisher.publish(inForce)
    }

    struct RevokeError: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    static func makeSelector(_ parsed: CommandArguments, now: Int64) throws(RevokeError) -> Revocation.Selector {
        let kinds = ["serial", "sha256", "access-key-id", "role"].filter { parsed.value($0) != nil }
        let anchorText = parsed.value("trust-anchor")
        var issuedBefore: Int64 = now + 1  // sessions issued up to and including this second
        if let text = parsed.value("issued-before"), text != "now" {
            guard let instant = UTCTimestamp.parseISO8601(text) else {
                throw RevokeError("--issued-before must be YYYY-MM-DDTHH:MM:SSZ or now")
            }
            issuedBefore = instant
        }
        func anchorARN(_ text: String) throws(RevokeError) -> String {
            guard let arn = ARN(text), arn.service == "rolesanywhere", arn.resourceType == "trust-anchor" else {
                throw RevokeError("--trust-anchor must be a rolesanywhere trust-anchor ARN")
            }
            return arn.description
        }
        if kinds.isEmpty, let anchorText {
            return .trustAnchor(try anchorARN(anchorText), issuedBefore: issuedBefore)
        }
        guard kinds.count == 1 else {
            throw RevokeError(
                "give exactly one of --serial, --sha256, --access-key-id, --trust-anchor, --role (or --list, --remove)")
        }
        if parsed.value("issued-before") != nil, kinds != ["role"] {
            throw RevokeError("--issued-before applies to --trust-anchor and --role only")
        }
        if anchorText != nil, kinds != ["serial"] {
            throw RevokeError("--trust-anchor combines only with --serial")
        }
        switch kinds[0] {
        case "serial":
            guard let serial = RevocationIdentifiers.normalizedSerial(parsed.value("serial")!) else {
                throw RevokeError("--serial must be hexadecimal (colons and `serial=` allowed)")
            }
            return .certificateSerial(serial, trustAnchorArn: try anchorText.map(anchorARN))
        case "sha256":
            guard let fingerprint = RevocationIdentifiers.normalizedSHA256(parsed.value("sha256")!) else {
                throw RevokeError("--sha256 must be 64 hexadecimal digits (colons allowed)")
            }
            return .certificateSHA256(fingerprint)
        case "access-key-id":
            let id = parsed.value("access-key-id")!
            guard RevocationIdentifiers.isAccessKeyId(id) else {
                throw RevokeError("--access-key-id is not an access key id")
            }
            return .accessKey(id)
        default:
            let text = parsed.value("role")!
            guard let arn = ARN(text), arn.service == "iam", arn.resourceType == "role" else {
                throw RevokeError("--role must be an IAM role ARN")
            }
            return .role(arn.description, issuedBefore: issuedBefore)
        }
    }

    static func list(_ loader: ConfigurationLoader, json: Bool) -> Int32 {
        let list: RevocationList
        do {
            list = try loader.loadRevocationsOnly()
        } catch {
            return failure("\(error)")
        }
        if json {
            print(JSONWriter.string(list.json))
            return 0
        }
        if list.isEmpty { print("no revocations in \(loader.revocationsFile)") }
        for entry in list.entries {
            var line = "\(entry.id)  \(UTCTimestamp.iso8601(entry.revokedAt))  \(entry.summary)"
            if let by = entry.revokedBy { line += "  by \(by)" }
            if let reason = entry.reason { line += "  reason: \(reason)" }
            print(line)
        }
        return 0
    }

    /// Takes the admin commands' ``ConfigurationLock`` (flock on the PKI and Profiles directories: a second flock
    /// of the PKI directory here, through another descriptor, would wait for this one forever), re-reads the file,
    /// applies `change`, writes it with ``ConfigurationWriter`` (atomically), then checks that servers will be able
    /// to load the whole configuration with it.
    static func update(_ loader: ConfigurationLoader, _ change: (RevocationList) throws -> RevocationList) -> Int32 {
        do {
            // Under it the admin commands remove hidden temporaries as leftovers, so they must not run while this
            // command writes one.
            let configurationLock = try ConfigurationLock(
                pkiDirectory: loader.pkiDirectory, profilesDirectory: loader.profilesDirectory)
            defer { configurationLock.release() }
            let before = try loader.loadRevocationsOnly()
            let after = try change(before)
            if after.entries != before.entries {
                try ConfigurationWriter(pkiDirectory: loader.pkiDirectory, profilesDirectory: loader.profilesDirectory)
                    .writeRevocations(after)
            }
        } catch let error as RevokeError {
            return failure(error.message)
        } catch {
            return failure("\(error)")
        }
        do {
            _ = try loader.load(generation: 1)
        } catch {
            return failure(
                "\(loader.revocationsFile) was written, but the configuration does not load, so servers keep "
                    + "the previous one until it is fixed:\n\(error)")
        }
        return 0
    }

    static func currentUser() -> String? {
        let environment = ProcessInfo.processInfo.environment
        return environment["SUDO_USER"] ?? environment["USER"] ?? environment["LOGNAME"]
    }

    static func usageError(_ message: String) -> Int32 {
        FileHandle.standardError.write(Data("anchorage revoke: \(message)\n\n\(usage)\n".utf8))
        return 64
    }

    static func failure(_ message: String) -> Int32 {
        FileHandle.standardError.write(Data("anchorage revoke: \(message)\n".utf8))
        return 1
    }
}
