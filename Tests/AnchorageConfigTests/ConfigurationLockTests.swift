import AnchorageConfig
import AnchorageTestSupport
import Foundation
import Testing

/// The writers' lock is taken on the configuration directories themselves, so writers with different temporary
/// folders (a service with systemd's PrivateTmp, an admin's shell) still exclude each other.
@Suite struct ConfigurationLockTests {
    /// Whether another open file description can take `path`'s lock right now.
    private func isFree(_ path: String) -> Bool {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        precondition(descriptor >= 0)
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else { return false }
        flock(descriptor, LOCK_UN)
        return true
    }

    @Test func theLockIsHeldOnBothDirectoriesUntilReleased() throws {
        let root = TemporaryDirectory()
        let pki = root.path + "/PKI"
        let profiles = root.path + "/Profiles"
        try FileManager.default.createDirectory(atPath: pki, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: profiles, withIntermediateDirectories: true)
        let lock = try ConfigurationLock(pkiDirectory: pki, profilesDirectory: profiles)
        #expect(!isFree(pki))
        #expect(!isFree(profiles))
        #expect(isFree(root.path))
        lock.release()
        #expect(isFree(pki))
        #expect(isFree(profiles))
    }

    /// One directory for both (or a symbolic link to it) is locked once: no writer waits for itself.
    @Test func oneDirectoryForBothIsLockedOnce() throws {
        let root = TemporaryDirectory()
        try FileManager.default.createSymbolicLink(atPath: root.path + "/link", withDestinationPath: root.path)
        let lock = try ConfigurationLock(pkiDirectory: root.path, profilesDirectory: root.path + "/link")
        #expect(!isFree(root.path))
        lock.release()
        #expect(isFree(root.path))
    }

    /// A configuration still to be made is locked through its nearest existing ancestor.
    @Test func aDirectoryStillToBeMadeLocksItsParent() throws {
        let root = TemporaryDirectory()
        let lock = try ConfigurationLock(
            pkiDirectory: root.path + "/new/PKI", profilesDirectory: root.path + "/new/Profiles")
        #expect(!isFree(root.path))
        lock.release()
        #expect(isFree(root.path))
    }
}
