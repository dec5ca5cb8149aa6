import AnchorageConfig
import AnchorageCore
import Foundation

/// What `anchorage revoke` says about brokered sessions (roles with an `"Upstream"`): their credentials were
/// issued by the upstream STS, which Anchorage cannot tell to recall them, so a revocation only stops new ones.
///
/// With `--state-dir DIR` (one per server) the live brokered sessions the revocation covers are found in the
/// servers' audit logs (`DIR/audit.jsonl`: allowed CreateSession records with an `upstream` object whose
/// `expiration` is still ahead), matched by the same rule that revokes Anchorage's own sessions
/// (``RevocationList/revocation(matching:)``). Without it, the warning is general whenever a configured role is
/// brokered. Rotated audit files are not read: a session lives at most 12 hours, and logs are not rotated that
/// often.
enum BrokeredSessionsWarning {
    /// A live brokered session found in an audit log.
    struct Session: Equatable {
        var upstream: String
        var assumedRoleArn: String
        var expiration: Int64
    }

    /// The warning lines for `revocation` (empty when there is nothing to say).
    static func lines(
        for revocation: Revocation, loader: ConfigurationLoader, stateDirectories: [String], now: Int64
    ) -> [String] {
        let brokeredRoles = ((try? loader.load(generation: 1))?.roles.values.filter { $0.upstream != nil } ?? [])
            .map(\.name).sorted()
        var lines: [String] = []
        if stateDirectories.isEmpty {
            guard !brokeredRoles.isEmpty else { return [] }
            lines.append(
                "warning: roles \(brokeredRoles.joined(separator: ", ")) are brokered through an upstream STS; "
                    + "credentials it already issued stay valid until they expire — this revocation only stops new "
                    + "ones. Pass --state-dir to list the live brokered sessions it covers.")
        } else {
            let sessions = stateDirectories.flatMap {
                liveSessions(auditLog: $0 + "/audit.jsonl", matching: revocation, now: now)
            }
            guard !sessions.isEmpty else { return [] }
            let latest = sessions.map(\.expiration).max() ?? now
            lines.append(
                "warning: \(sessions.count) live brokered session(s) covered by this revocation were issued by an "
                    + "upstream STS; Anchorage cannot recall them and they stay valid until "
                    + "\(UTCTimestamp.iso8601(latest)):")
            for session in sessions {
                lines.append(
                    "  \(session.assumedRoleArn) (upstream \(session.upstream)) until "
                        + UTCTimestamp.iso8601(session.expiration))
            }
        }
        lines.append(
            "  To cut them off now, attach to the upstream role a policy denying every action when "
                + "aws:TokenIssueTime is before the revocation time (UpstreamBroker in the server documentation).")
        return lines
    }

    /// The allowed, unexpired brokered sessions in `auditLog` that `revocation` covers.
    static func liveSessions(auditLog: String, matching revocation: Revocation, now: Int64) -> [Session] {
        guard let data = FileManager.default.contents(atPath: auditLog) else { return [] }
        let list = RevocationList([revocation])
        var sessions: [Session] = []
        for line in data.split(separator: UInt8(ascii: "\n")) {
            // Cheap filter first: most lines are not brokered.
            guard line.count < 64 * 1024, let record = try? JSONParser.parse([UInt8](line)),
                record["operation"]?.stringValue == "CreateSession", record["outcome"]?.stringValue == "allowed",
                let upstream = record["upstream"], let name = upstream["name"]?.stringValue,
                let expiration = record["expiration"]?.stringValue.flatMap(UTCTimestamp.parseISO8601),
                expiration > now, let certificate = record["certificate"],
                let serial = certificate["serialHex"]?.stringValue, let sha256 = certificate["sha256"]?.stringValue,
                let anchor = record["trustAnchorArn"]?.stringValue
            else { continue }
            let issuedAt = record["time"]?.stringValue.flatMap(UTCTimestamp.parseISO8601)
            let subject = RevocationList.Subject(
                certificateSerialHex: serial, certificateSHA256: sha256, trustAnchorArn: anchor,
                accessKeyId: record["accessKeyId"]?.stringValue, roleArn: record["roleArn"]?.stringValue,
                issuedAt: issuedAt)
            guard list.revocation(matching: subject) != nil else { continue }
            sessions.append(
                Session(
                    upstream: name, assumedRoleArn: upstream["assumedRoleArn"]?.stringValue ?? "?",
                    expiration: expiration))
        }
        return sessions
    }
}
