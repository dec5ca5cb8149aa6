import AnchorageCore

/// Writes a `Revoke`/`Unrevoke` audit line for every revocation a reload added or removed.
enum RevocationAudit {
    static func record(
        from before: RevocationList, to after: Configuration, auditLog: AuditLog, logger: Logger, clock: any WallClock
    ) {
        let oldIDs = Set(before.entries.map(\.id))
        let newIDs = Set(after.revocations.entries.map(\.id))
        let changes =
            after.revocations.entries.filter { !oldIDs.contains($0.id) }.map { ($0, true) }
            + before.entries.filter { !newIDs.contains($0.id) }.map { ($0, false) }
        for (revocation, added) in changes {
            let record = AuditLog.revocationRecord(
                revocation, added: added, timeMilliseconds: clock.milliseconds, generation: after.generation)
            if !auditLog.append(record) { logger.error("audit log write failed", ["revocation": revocation.id]) }
            logger.info(
                added ? "revocation in force" : "revocation lifted", ["id": revocation.id, "what": revocation.summary])
        }
    }
}
