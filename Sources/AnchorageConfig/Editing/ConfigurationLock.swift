import Foundation

/// Serialises the commands that change the same configuration directories — the admin commands and
/// `anchorage revoke` — (flock on a file in the temporary directory, keyed by the directories' real paths, so the
/// configuration itself is untouched). Under it, a hidden temporary file in the directories is a leftover of a
/// killed command (``AtomicFiles/removeLeftovers(in:)``).
public struct ConfigurationLock {
    private let descriptor: Int32

    public init(pkiDirectory: String, profilesDirectory: String) throws(ConfigurationWriteError) {
        func real(_ path: String) -> String {
            guard let resolved = realpath(path, nil) else { return path }
            defer { free(resolved) }
            return String(cString: resolved)
        }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in (real(pkiDirectory) + "\n" + real(profilesDirectory)).utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let file = (NSTemporaryDirectory() as NSString).appendingPathComponent(
            "anchorage-admin-\(String(hash, radix: 16)).lock")
        descriptor = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ConfigurationWriteError("cannot open the lock file \(file): \(AtomicFiles.errorText())")
        }
        guard flock(descriptor, LOCK_EX) == 0 else {
            close(descriptor)
            throw ConfigurationWriteError("cannot lock \(file): \(AtomicFiles.errorText())")
        }
    }

    public func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
