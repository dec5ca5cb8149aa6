import AnchorageControlPlane
import AnchorageCore

extension AnchorageService {
    /// Records the certificate of an issued session as a Roles Anywhere subject (ListSubjects, GetSubject).
    ///
    /// In memory only — a lock and a dictionary update; ``SubjectStore`` writes `subjects.json` in batches on its
    /// own queue — so CreateSession does not wait for a disk. Refused requests are not subjects: they are in the
    /// audit log.
    func recordSubject(_ outcome: CreateSessionOutcome, certificateBase64: String?, nowMilliseconds: Int64) {
        guard let subjects, case .issued(let issued) = outcome.result, let certificate = outcome.subject.certificate
        else { return }
        subjects.record(
            subjectArn: issued.subjectArn, subject: certificate.subject, serialHex: certificate.serialHex,
            issuer: certificate.issuer, certificateBase64: certificateBase64,
            now: nowMilliseconds >= 0 ? nowMilliseconds / 1000 : (nowMilliseconds - 999) / 1000)
    }
}
