public import AnchorageCore
import Foundation

/// Reads an upstream's `CredentialsFile`: `{"AccessKeyId", "SecretAccessKey", "SessionToken"?}`, owner-only
/// (mode 0600 or stricter: no group or other permission bit), decoded strictly.
///
/// The loader reads it to validate the configuration (`anchorage validate`, `serve`, reload); the server reads it
/// again whenever its ``stamp(_:)`` changes, so rotated keys apply to the next call without a restart. Errors
/// name the file and the JSON path, never a value from it.
public enum UpstreamCredentialsFile {
    /// The largest file accepted (keys and a session token fit many times over).
    static let maximumSize = 64 * 1024

    /// Identifies the file's current content cheaply — device, inode, size, modification time, mode — or nil when
    /// it cannot be `stat`ed. A change of any of them means the file must be read again.
    public static func stamp(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return
            "\(info.st_dev)|\(info.st_ino)|\(info.st_size)|\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)|\(info.st_mode)"
    }

    /// The credentials in `path`; throws the problems found (a missing file, group or other permission, not a
    /// regular file, bad JSON, a missing, empty, unknown or mistyped member).
    public static func read(_ path: String) throws(ConfigurationError) -> UpstreamCredentials {
        // O_NONBLOCK: opening a FIFO (or a device) must not wait for a writer; it is refused just below, and a
        // regular file reads the same either way.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            throw ConfigurationError(issues: [ConfigurationIssue(file: path, message: "missing or unreadable")])
        }
        defer { close(fd) }
        // Checked on the descriptor that is read, so the file cannot be swapped between the check and the read.
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw ConfigurationError(issues: [ConfigurationIssue(file: path, message: "not a regular file")])
        }
        guard info.st_mode & 0o077 == 0 else {
            throw ConfigurationError(issues: [
                ConfigurationIssue(
                    file: path,
                    message: "mode \(String(info.st_mode & 0o777, radix: 8)) lets others read the keys; chmod 600 it")
            ])
        }
        guard Int(info.st_size) <= maximumSize else {
            throw ConfigurationError(issues: [ConfigurationIssue(file: path, message: "larger than 64 KiB")])
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count <= maximumSize {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += chunk[0..<count]
        }
        let json: JSONValue
        do {
            json = try JSONParser.parse(bytes)
        } catch {
            // The parser's message may quote the text around the error: a secret must not reach a log.
            throw ConfigurationError(issues: [ConfigurationIssue(file: path, message: "not valid JSON")])
        }
        var schemaIssues: [SchemaError] = []
        let fields = JSONFields(json, path: "$", issues: &schemaIssues)
        let accessKeyId = fields.string("AccessKeyId", required: true, issues: &schemaIssues)
        let secret = fields.string("SecretAccessKey", required: true, issues: &schemaIssues)
        let token = fields.string("SessionToken", required: false, issues: &schemaIssues)
        fields.rejectUnknown(["AccessKeyId", "SecretAccessKey", "SessionToken"], issues: &schemaIssues)
        for (key, value) in [("AccessKeyId", accessKeyId), ("SecretAccessKey", secret), ("SessionToken", token)] {
            if let value, value.isEmpty || !value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
                schemaIssues.append(SchemaError(path: "$.\(key)", message: "must be non-empty printable ASCII"))
            }
        }
        guard schemaIssues.isEmpty, let accessKeyId, let secret else {
            throw ConfigurationError(
                issues: schemaIssues.map { ConfigurationIssue(file: path, path: $0.path, message: $0.message) })
        }
        return UpstreamCredentials(accessKeyId: accessKeyId, secretAccessKey: secret, sessionToken: token)
    }
}
