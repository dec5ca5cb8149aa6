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

    public init(pkiDirectory: String, profilesDirectory: String) throws(ConfigurationWriteError) {
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
            guard flock(descriptor, LOCK_EX) == 0 else {
                let reason = AtomicFiles.errorText()
                close(descriptor)
                Self.unlock(taken)
                throw ConfigurationWriteError("cannot lock \(path): \(reason)")
            }
            taken.append(descriptor)
        }
        descriptors = taken
    }

    public func release() { Self.unlock(descriptors) }

    private static func unlock(_ descriptors: [Int32]) {
        for descriptor in descriptors.reversed() {
            flock(descriptor, LOCK_UN)
            close(descriptor)
        }
    }

    private static func realpathOrSelf(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The real path of `path`, or of its nearest existing ancestor while `path` is still to be created (the
    /// first command of a new configuration).
    private static func lockable(_ path: String) -> String {
        var candidate = path.isEmpty ? "." : path
        while true {
            if let resolved = realpath(candidate, nil) {
                defer { free(resolved) }
                return String(cString: resolved)
            }
            // Not NSString's deletingLastPathComponent: it traps on a name without a slash in this toolchain.
            var trimmed = Substring(candidate)
            while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
            guard let slash = trimmed.lastIndex(of: "/") else { return realpathOrSelf(".") }
            let parent = slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
            if parent == candidate { return parent }
            candidate = parent
        }
    }
}
