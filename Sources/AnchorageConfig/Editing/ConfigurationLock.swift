import Foundation

/// Serialises the writers of the same configuration directories — the admin commands, `anchorage revoke`, and the
/// control-plane API inside `serve` — with flock(2) on the directories themselves (PKI first, then Profiles when it
/// is another directory), so the configuration's files are untouched. Under it, a hidden temporary file in the
/// directories is a leftover of a killed command (``AtomicFiles/removeLeftovers(in:)``).
///
/// The lock lives on the directories, not in a temporary folder: a service with a private `/tmp` (systemd's
/// `PrivateTmp=yes`), another user's `TMPDIR`, or a read-only mount of the configuration all still exclude each
/// other, since a directory opened for reading can be locked by anyone who may read it.
public struct ConfigurationLock {
    private let descriptors: [Int32]

    /// Takes the lock. `waitSeconds`: how long to wait for another writer (nil: as long as it takes, for the
    /// commands). The server's API passes a bound: whoever may read the directories can lock them, and an API
    /// call must not wait on such a holder forever.
    public init(pkiDirectory: String, profilesDirectory: String, waitSeconds: Double? = nil)
        throws(ConfigurationWriteError)
    {
        var paths = [Self.lockable(pkiDirectory)]
        let profiles = Self.lockable(profilesDirectory)
        // One lock per directory: a second flock of the same directory through another descriptor would wait for
        // the first forever.
        if profiles != paths[0] { paths.append(profiles) }
        var taken: [Int32] = []
        for path in paths {
            let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard descriptor >= 0 else {
                let reason = AtomicFiles.errorText()
                Self.unlock(taken)
                throw ConfigurationWriteError("cannot open \(path) to lock it: \(reason)")
            }
            guard Self.lock(descriptor, waitSeconds: waitSeconds) else {
                let reason =
                    errno == EWOULDBLOCK
                    ? "another writer held it for \(waitSeconds ?? 0) s" : AtomicFiles.errorText()
                close(descriptor)
                Self.unlock(taken)
                throw ConfigurationWriteError("cannot lock \(path): \(reason)")
            }
            taken.append(descriptor)
        }
        descriptors = taken
    }

    public func release() { Self.unlock(descriptors) }

    /// flock(2), waiting at most `waitSeconds` (polled, so that no thread sleeps inside the kernel past it).
    private static func lock(_ descriptor: Int32, waitSeconds: Double?) -> Bool {
        guard let waitSeconds else { return flock(descriptor, LOCK_EX) == 0 }
        let pause: useconds_t = 5_000
        var attempts = max(1, Int(waitSeconds * 1_000_000 / Double(pause)))
        while true {
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return true }
            guard errno == EWOULDBLOCK || errno == EINTR, attempts > 0 else { return false }
            attempts -= 1
            usleep(pause)
        }
    }

    private static func unlock(_ descriptors: [Int32]) {
        for descriptor in descriptors.reversed() {
            flock(descriptor, LOCK_UN)
            close(descriptor)
        }
    }

    /// realpath(3) of `path`, or nil when it does not resolve (it does not exist yet).
    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The real path of `path`, or of its nearest existing ancestor while `path` is still to be created (the
    /// first command of a new configuration).
    private static func lockable(_ path: String) -> String {
        var candidate = path.isEmpty ? "." : path
        while true {
            if let resolved = realPath(candidate) { return resolved }
            // Not NSString's deletingLastPathComponent: it traps on a name without a slash in this toolchain.
            var trimmed = Substring(candidate)
            while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
            let parent: String
            if let slash = trimmed.lastIndex(of: "/") {
                parent = slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
            } else {
                parent = "."
            }
            if parent == candidate { return parent }
            candidate = parent
        }
    }
}
