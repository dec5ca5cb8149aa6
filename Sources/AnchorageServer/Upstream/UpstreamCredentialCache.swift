import AnchorageConfig
import AnchorageCore
import AnchorageLocking

/// The keys of each upstream's `CredentialsFile`, re-read whenever the file changes.
///
/// Before every exchange the file is `stat`ed (``UpstreamCredentialsFile/stamp(_:)``): when its inode, size,
/// modification time or mode differs from the cached read, it is read again — so rotated keys are used from the
/// next call on, with no reload and no restart. A file that turns unreadable or loose (group or other
/// permission) fails the call (503) instead of falling back to the previous keys.
final class UpstreamCredentialCache: Sendable {
    private let entries = Locked([String: (stamp: String, credentials: UpstreamCredentials)]())

    /// The current keys in `path`.
    func credentials(_ path: String) -> Result<UpstreamCredentials, UpstreamFailure> {
        guard let stamp = UpstreamCredentialsFile.stamp(path) else {
            entries.withLock { $0[path] = nil }
            return .failure(.credentialsUnavailable("\(path) is missing or unreadable"))
        }
        if let cached = entries.withLock({ $0[path] }), cached.stamp == stamp { return .success(cached.credentials) }
        do {
            let credentials = try UpstreamCredentialsFile.read(path)
            // Stamped before the read: a write racing the read changes the stamp, and the next call reads again.
            entries.withLock { $0[path] = (stamp, credentials) }
            return .success(credentials)
        } catch {
            entries.withLock { $0[path] = nil }
            return .failure(.credentialsUnavailable(error.description))
        }
    }
}
