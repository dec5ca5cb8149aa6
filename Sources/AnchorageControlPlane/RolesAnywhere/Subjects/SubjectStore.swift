public import AnchorageConfig
import AnchorageCore
import AnchorageLocking
import Dispatch
import Foundation

/// The subjects that asked for credentials (ListSubjects, GetSubject), kept in memory and persisted to
/// `<state-dir>/subjects.json`.
///
/// CreateSession records into memory only (a lock, a dictionary update, the certificate's base64 kept as the
/// request carried it); a timer writes the file atomically, off the event
/// loops, at most once a second (less often for a large file: at most 5% of a core) and only after a change. A
/// restart reloads it.
///
/// Bounded: at most ``maximumSubjects`` subjects (the least recently seen is forgotten first) and
/// ``maximumCredentialsPerSubject`` certificates per subject (the least recently seen goes). The file is at
/// most about 10,000 × 4 PEM certificates.
///
/// Shared between replicas (`--shared-state`): after ``startSharing()`` the store also keeps which subjects
/// changed here, and a replicator on the flush timer takes them (``takeUnshared(limit:)``) to merge them into
/// Redis and hands back what Redis holds (``adopt(_:)``). CreateSession's path is the same either way.
public final class SubjectStore: Sendable {
    public static let maximumSubjects = 10_000
    public static let maximumCredentialsPerSubject = 4

    private struct State {
        /// By subject ARN: CreateSession derives it from the account, the region and a digest of the subject's
        /// bytes, so two subjects are one only when their bytes are (no Unicode equivalence).
        var subjects: [String: SubjectRecord] = [:]
        var dirty = false
        /// Uptime seconds before which the timer does not write again (``startFlushing(every:replicate:failed:)``).
        var nextFlush = 0.0
        /// With sharing on: the ARNs of the subjects changed here and not yet taken by the replicator.
        var unshared: Set<String>?
    }

    private let state = Locked(State())
    /// The file, or nil for a store that only lives in memory (tests).
    public let path: String?
    private let timer = Locked<(any DispatchSourceTimer)?>(nil)

    /// Loads `path` when it exists (an unreadable file is set aside as `subjects.json.unreadable`, not fatal:
    /// subjects are a record, not configuration).
    public init(path: String?) {
        self.path = path
        guard let path, let data = FileManager.default.contents(atPath: path) else { return }
        guard let json = try? JSONParser.parse([UInt8](data)), case .array(let entries)? = json["subjects"] else {
            rename(path, path + ".unreadable")
            return
        }
        state.withLock { state in
            for entry in entries {
                guard let record = SubjectRecord(stateJSON: entry), ARN(record.arn) != nil else { continue }
                state.subjects[record.arn] = record
            }
        }
    }

    /// Records that the certificate (`subject`, `serialHex`, `issuer`, base64 DER `certificateBase64`) got
    /// credentials at `now` as the subject `subjectArn` — the ARN CreateSession answered with, whose region and
    /// account are its trust anchor's.
    public func record(
        subjectArn: String, subject: String, serialHex: String, issuer: String, certificateBase64: String?,
        failed: Bool = false, now: Int64
    ) {
        guard let arn = ARN(subjectArn), arn.hasResource(ofType: "subject") else { return }
        let key = subjectArn
        state.withLock { state in
            state.dirty = true
            state.unshared?.insert(key)
            if var record = state.subjects[key] {
                record.lastSeenAt = now
                if let index = record.credentials.firstIndex(where: {
                    CodePoints.equal($0.serialNumber, serialHex) && CodePoints.equal($0.issuer, issuer)
                }) {
                    record.credentials[index].seenAt = now
                    record.credentials[index].failed = failed
                } else {
                    record.credentials.append(
                        Self.credential(serialHex, issuer, certificateBase64, failed: failed, now: now))
                    Self.bound(&record.credentials)
                }
                state.subjects[key] = record
                return
            }
            Self.insert(
                SubjectRecord(
                    id: arn.resourceName, arn: subjectArn, x509Subject: subject, createdAt: now, lastSeenAt: now,
                    credentials: [Self.credential(serialHex, issuer, certificateBase64, failed: failed, now: now)]),
                into: &state)
        }
    }

    /// Drops the least recently seen certificates beyond ``maximumCredentialsPerSubject``.
    private static func bound(_ credentials: inout [SubjectRecord.CredentialRecord]) {
        while credentials.count > maximumCredentialsPerSubject {
            let oldest = credentials.indices.min { credentials[$0].seenAt < credentials[$1].seenAt }!
            credentials.remove(at: oldest)
        }
    }

    /// Adds a subject not yet known; at ``maximumSubjects`` the least recently seen of the known ones and the
    /// new one is forgotten.
    private static func insert(_ record: SubjectRecord, into state: inout State) {
        if state.subjects.count >= maximumSubjects,
            let oldest = state.subjects.min(by: { $0.value.lastSeenAt < $1.value.lastSeenAt })
        {
            guard oldest.value.lastSeenAt <= record.lastSeenAt else { return }
            state.subjects[oldest.key] = nil
            state.unshared?.remove(oldest.key)
        }
        state.subjects[record.arn] = record
    }

    /// Starts keeping which subjects change here, for a replicator; every subject known now counts as changed
    /// (the file's records reach the other replicas too).
    public func startSharing() {
        state.withLock { state in state.unshared = Set(state.subjects.keys) }
    }

    /// Counts every subject known as changed here, so that the replicator pushes them all again (the shared
    /// store lost its data).
    public func markAllUnshared() { startSharing() }

    /// At most `limit` of the subjects changed here since they were last taken; they no longer count as changed
    /// (``markUnshared(_:)`` gives them back when they could not be pushed).
    public func takeUnshared(limit: Int) -> [SubjectRecord] {
        state.withLock { state in
            guard let unshared = state.unshared else { return [] }
            let taken = unshared.prefix(limit)
            state.unshared = unshared.subtracting(taken)
            return taken.compactMap { state.subjects[$0] }
        }
    }

    /// Counts the subjects `arns` as changed here again (their push failed).
    public func markUnshared(_ arns: [String]) {
        state.withLock { state in
            guard state.unshared != nil else { return }
            for arn in arns where state.subjects[arn] != nil { state.unshared?.insert(arn) }
        }
    }

    /// Takes the records that the shared store merged from every replica, in place of this store's — except
    /// for a subject changed here since it was taken: that one is pushed next and comes back merged. A record
    /// whose ARN is not a subject's, or whose id is not its ARN's, is skipped (the shared store is input).
    public func adopt(_ records: [SubjectRecord]) {
        state.withLock { state in
            for var record in records {
                guard let arn = ARN(record.arn), arn.hasResource(ofType: "subject"),
                    CodePoints.equal(arn.resourceName, record.id), !record.credentials.isEmpty,
                    state.unshared?.contains(record.arn) != true
                else { continue }
                Self.bound(&record.credentials)
                if state.subjects[record.arn] != nil {
                    state.subjects[record.arn] = record
                } else {
                    Self.insert(record, into: &state)
                }
                state.dirty = true
            }
        }
    }

    /// The subjects of one account and region.
    public func subjects(account: String, region: String) -> [SubjectRecord] {
        state.withLock { state in
            state.subjects.values.filter { record in
                guard let arn = ARN(record.arn) else { return false }
                return CodePoints.equal(arn.account, account) && CodePoints.equal(arn.region, region)
            }
        }
    }

    /// Writes the file now if anything changed since the last write.
    public func flush() throws(ConfigurationWriteError) {
        guard let path else { return }
        let snapshot: [SubjectRecord]? = state.withLock { state in
            guard state.dirty else { return nil }
            state.dirty = false
            return Array(state.subjects.values)
        }
        guard let snapshot else { return }
        let json = JSONValue.object([
            "version": .number("1"),
            "subjects": .array(snapshot.sorted { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }.map(\.stateJSON)),
        ])
        do {
            try AtomicFiles.write(JSONWriter.bytes(json), to: path, mode: 0o600)
        } catch {
            state.withLock { $0.dirty = true }
            throw error
        }
    }

    /// Flushes every `interval` seconds on a utility queue until ``stop()``; `failed` hears write errors.
    /// `replicate`, when given, runs first on every tick (it must not block: it sends and returns).
    public func startFlushing(
        every interval: Double = 1, replicate: (@Sendable () -> Void)? = nil,
        failed: @escaping @Sendable (String) -> Void
    ) {
        let source = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "anchorage.subjects", qos: .utility))
        source.schedule(deadline: .now() + interval, repeating: interval)
        source.setEventHandler { [weak self] in
            guard let self else { return }
            replicate?()
            // A large file is not rewritten every second: after a write that took t seconds, the next waits
            // 20 t (so writing takes at most 5% of a core), and never less than `interval`.
            let now = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
            guard now >= self.state.withLock({ $0.nextFlush }) else { return }
            do throws(ConfigurationWriteError) {
                try self.flush()
            } catch {
                failed(error.message)
            }
            let took = Double(DispatchTime.now().uptimeNanoseconds) / 1e9 - now
            self.state.withLock { $0.nextFlush = now + max(interval, 20 * took) }
        }
        timer.withLock { $0 = source }
        source.resume()
    }

    /// Stops the timer and writes what is pending.
    public func stop() throws(ConfigurationWriteError) {
        timer.withLock { timer in
            timer?.cancel()
            timer = nil
        }
        try flush()
    }

    private static func credential(
        _ serial: String, _ issuer: String, _ base64: String?, failed: Bool, now: Int64
    ) -> SubjectRecord.CredentialRecord {
        SubjectRecord.CredentialRecord(
            serialNumber: serial, issuer: issuer, seenAt: now, failed: failed,
            certificateBase64: base64 ?? "")
    }

    /// The base64 body of PEM text (markers and line breaks removed).
    static func base64(pem: String) -> String {
        String(
            pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined().filter { !$0.isWhitespace })
    }

    /// PEM text of base64 DER: 64-character lines between the CERTIFICATE markers.
    static func pem(_ base64: String) -> String {
        var lines: [Substring] = []
        var rest = Substring(base64)
        while !rest.isEmpty {
            lines.append(rest.prefix(64))
            rest = rest.dropFirst(64)
        }
        return "-----BEGIN CERTIFICATE-----\n" + lines.joined(separator: "\n") + "\n-----END CERTIFICATE-----\n"
    }
}
