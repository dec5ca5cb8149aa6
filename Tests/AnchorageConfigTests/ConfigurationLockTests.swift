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

    /// With a bound (the server's API), a lock held by someone else is an error after the wait, not a hang; once
    /// released, the same call succeeds.
    @Test func aBoundedWaitGivesUpOnAHeldLock() throws {
        let root = TemporaryDirectory()
        let holder = open(root.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        #expect(flock(holder, LOCK_EX) == 0)
        #expect(throws: ConfigurationWriteError.self) {
            _ = try ConfigurationLock(pkiDirectory: root.path, profilesDirectory: root.path, waitSeconds: 0.05)
        }
        do {
            _ = try ConfigurationLock(pkiDirectory: root.path, profilesDirectory: root.path, waitSeconds: 0.05)
        } catch {
            #expect(error.message.contains("another writer held it"), "\(error.message)")
        }
        flock(holder, LOCK_UN)
        close(holder)
        let lock = try ConfigurationLock(pkiDirectory: root.path, profilesDirectory: root.path, waitSeconds: 0.05)
        lock.release()
    }
}
