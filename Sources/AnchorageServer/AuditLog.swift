public import AnchorageCore
import Foundation
import Synchronization

/// Appends one JSON object per line to `<state-dir>/audit.jsonl` (contract §5).
///
/// Each record is written with a single `write(2)` on an `O_APPEND` descriptor before the response
/// leaves, so concurrent event loops never interleave lines and a crash loses at most the record of
/// a request that was never answered.
public final class AuditLog: Sendable {
    private let descriptor: Mutex<Int32>
    /// Set when the last append failed (disk full, I/O error) and cleared by the next success, so
    /// `/readyz` drains a replica that cannot audit.
    private let lastAppendFailed = Atomic<Bool>(false)
    public let path: String

    /// Opens (creating with mode 0600) the log at `path`.
    public init(path: String) throws {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ServeError("cannot open the audit log \(path): \(String(cString: strerror(errno)))") }
        self.path = path
        self.descriptor = Mutex(fd)
    }

    deinit { descriptor.withLock { _ = close($0) } }

    /// True when the log accepts writes (for `/readyz`).
    public var isWritable: Bool {
        !lastAppendFailed.load(ordering: .relaxed) && descriptor.withLock { fcntl($0, F_GETFL) >= 0 }
            && access(path, W_OK) == 0
    }

    /// Writes one record; returns false when the write failed (the caller then answers 500).
    @discardableResult
    public func append(_ record: JSONValue) -> Bool {
        var line = JSONWriter.bytes(record)
        line.append(0x0A)
        return append(line: line)
    }

    /// Writes one complete line (ending in `\n`) with a single `write(2)`; false when the write failed.
    func append(line: [UInt8]) -> Bool {
        let succeeded = descriptor.withLock { fd in
            line.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        return false
                    }
                    offset += written
                }
                return true
            }
        }
        lastAppendFailed.store(!succeeded, ordering: .relaxed)
        return succeeded
    }

    /// The audit record of one CreateSession attempt. Holds no secret: never the secret key or token.
    public static func createSessionRecord(
        requestId: String, timeMilliseconds: Int64, sourceAddress: String, outcome: CreateSessionOutcome
    ) -> JSONValue {
        var members: [JSONMember] = [
            JSONMember(key: "time", value: .string(UTCTimestamp.iso8601Milliseconds(timeMilliseconds))),
            JSONMember(key: "requestId", value: .string(requestId)),
            JSONMember(key: "operation", value: .string("CreateSession")),
        ]
        switch outcome.result {
        case .issued(let response):
            members.append(JSONMember(key: "outcome", value: .string("allowed")))
            members.append(JSONMember(key: "reason", value: .null))
            members.append(JSONMember(key: "accessKeyId", value: .string(response.credentials.accessKeyId)))
            members.append(
                JSONMember(key: "expiration", value: .string(UTCTimestamp.iso8601(response.credentials.expiration))))
            members.append(JSONMember(key: "roleSessionName", value: .string(response.assumedRoleArn.split(separator: "/").last.map(String.init) ?? "")))
            members.append(JSONMember(key: "sourceIdentity", value: .string(response.sourceIdentity)))
        case .denied(let reason):
            members.append(JSONMember(key: "outcome", value: .string(reason == .internalError ? "error" : "denied")))
            members.append(JSONMember(key: "reason", value: .string(reason.rawValue)))
            members.append(JSONMember(key: "detail", value: .string(outcome.detail)))
        }
        members.append(JSONMember(key: "sourceAddress", value: .string(sourceAddress)))
        let subject = outcome.subject
        members.append(JSONMember(key: "trustAnchorArn", value: subject.trustAnchorArn.map(JSONValue.string) ?? .null))
        members.append(JSONMember(key: "profileArn", value: subject.profileArn.map(JSONValue.string) ?? .null))
        members.append(JSONMember(key: "roleArn", value: subject.roleArn.map(JSONValue.string) ?? .null))
        if let certificate = subject.certificate {
            members.append(
                JSONMember(
                    key: "certificate",
                    value: .object([
                        JSONMember(key: "serialHex", value: .string(certificate.serialHex)),
                        JSONMember(key: "subject", value: .string(certificate.subject)),
                        JSONMember(key: "issuer", value: .string(certificate.issuer)),
                        JSONMember(key: "sha256", value: .string(certificate.sha256)),
                    ])))
        } else {
            members.append(JSONMember(key: "certificate", value: .null))
        }
        return .object(members)
    }
}
