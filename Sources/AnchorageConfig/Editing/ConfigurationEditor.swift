public import AnchorageCore
import Foundation

/// Changes `PKI/` and `Profiles/` safely: the one path by which the admin commands and the control-plane API
/// write the configuration.
///
/// ``apply(_:)`` validates before it writes: it copies the configuration to a temporary directory, makes the
/// change there, and runs ``ConfigurationLoader`` — the loader `serve` and `validate` run — on the copy. Only when
/// that loads is the change made to the real directories, each file atomically (``AtomicFiles``). Otherwise it
/// throws and nothing on disk has changed.
///
/// Every writer holds ``ConfigurationLock`` from the moment it reads what it changes until its change is on
/// disk (``withLock(_:)``), so concurrent writers — two CLI runs, the CLI and the API — never lose an update.
public struct ConfigurationEditor: Sendable {
    public var pkiDirectory: String
    public var profilesDirectory: String
    /// Whether writes are fsynced (false only for throwaway trees).
    public var synced: Bool

    /// `lockWaitSeconds`: how long a change waits for another writer's lock (nil: as long as it takes).
    public init(pkiDirectory: String, profilesDirectory: String, synced: Bool = true, lockWaitSeconds: Double? = nil) {
        self.pkiDirectory = pkiDirectory
        self.profilesDirectory = profilesDirectory
        self.synced = synced
        self.lockWaitSeconds = lockWaitSeconds
    }

    /// How long a change waits for another writer's lock; nil for the commands (as long as it takes), a bound for
    /// the server's API (``ConfigurationLock/init(pkiDirectory:profilesDirectory:waitSeconds:)``).
    public let lockWaitSeconds: Double?

    /// The control-plane API's bound on waiting for another writer: a command's change takes milliseconds, and the
    /// call runs on an event loop.
    public static let apiLockWaitSeconds = 2.0

    /// Writes the real directories.
    public var writer: ConfigurationWriter {
        ConfigurationWriter(pkiDirectory: pkiDirectory, profilesDirectory: profilesDirectory, synced: synced)
    }

    /// Runs `body` holding the configuration lock: read what to change and ``applyLocked(_:)`` inside it.
    /// Leftovers of killed writers are removed first (under the lock no other writer runs here).
    public func withLock<T>(_ body: () throws(ConfigurationChangeError) -> T) throws(ConfigurationChangeError) -> T {
        let lock: ConfigurationLock
        do {
            lock = try ConfigurationLock(
                pkiDirectory: pkiDirectory, profilesDirectory: profilesDirectory, waitSeconds: lockWaitSeconds)
        } catch {
            throw ConfigurationChangeError(error.message)
        }
        defer { lock.release() }
        AtomicFiles.removeLeftovers(in: pkiDirectory)
        AtomicFiles.removeLeftovers(in: profilesDirectory)
        Self.removeAbandonedStagings()
        return try body()
    }

    /// Takes the lock, validates `change` on a copy and applies it. Returns the new configuration.
    @discardableResult
    public func apply(_ change: ConfigurationChange) throws(ConfigurationChangeError) -> Configuration {
        try withLock { () throws(ConfigurationChangeError) in try applyLocked(change) }
    }

    /// Validates `change` on a copy and applies it; the caller holds the lock (``withLock(_:)``).
    @discardableResult
    public func applyLocked(_ change: ConfigurationChange) throws(ConfigurationChangeError) -> Configuration {
        let configuration = try validate(change)
        do {
            for operation in change.operations {
                switch operation {
                case .writeFile(let file):
                    try writer.write(file)
                case .addDirectory(let root, let relative, let files):
                    try AtomicFiles.createDirectory(writer.path(root, relative), files: files, synced: synced)
                case .removeFile(let root, let relative):
                    try AtomicFiles.removeFile(writer.path(root, relative))
                case .removeDirectory(let root, let relative):
                    try AtomicFiles.removeDirectory(writer.path(root, relative))
                case .renameFile(let root, let from, let to):
                    try AtomicFiles.renameFile(writer.path(root, from), to: writer.path(root, to))
                }
            }
            // Both roots exist after a successful change, even on a first run from nothing.
            try AtomicFiles.makeDirectories(pkiDirectory, synced: synced)
            try AtomicFiles.makeDirectories(profilesDirectory, synced: synced)
        } catch {
            throw ConfigurationChangeError(error.message)
        }
        return configuration
    }

    /// Loads the would-be configuration (a copy with `change` made) and returns it, or throws the loader's
    /// issues with paths named as in the real directories.
    public func validate(_ change: ConfigurationChange) throws(ConfigurationChangeError) -> Configuration {
        let staging = (NSTemporaryDirectory() as NSString).appendingPathComponent(
            Self.stagingPrefix + "\(getpid())-" + UUID().uuidString)
        defer { try? FileManager.default.removeItem(atPath: staging) }
        let stagedPKI = staging + "/PKI"
        let stagedProfiles = staging + "/Profiles"
        do {
            try copyTree(pkiDirectory, to: stagedPKI)
            try copyTree(profilesDirectory, to: stagedProfiles)
            // The staging copy is thrown away: written through the same writer, unsynced.
            let staged = ConfigurationWriter(pkiDirectory: stagedPKI, profilesDirectory: stagedProfiles, synced: false)
            let fm = FileManager.default
            for operation in change.operations {
                switch operation {
                case .writeFile(let file):
                    try staged.write(file)
                case .addDirectory(let root, let relative, let files):
                    let target = staged.path(root, relative)
                    guard !fm.fileExists(atPath: target) else {
                        throw ConfigurationChangeError("\(writer.path(root, relative)) already exists")
                    }
                    for file in files {
                        let filePath = target + "/" + file.name
                        try fm.createDirectory(
                            atPath: (filePath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                        try Data(file.bytes).write(to: URL(fileURLWithPath: filePath))
                    }
                case .removeFile(let root, let relative), .removeDirectory(let root, let relative):
                    guard fm.fileExists(atPath: writer.path(root, relative)) else {
                        throw ConfigurationChangeError("\(writer.path(root, relative)) does not exist")
                    }
                    try fm.removeItem(atPath: staged.path(root, relative))
                case .renameFile(let root, let from, let to):
                    guard fm.fileExists(atPath: writer.path(root, from)) else {
                        throw ConfigurationChangeError("\(writer.path(root, from)) does not exist")
                    }
                    guard rename(staged.path(root, from), staged.path(root, to)) == 0 else {
                        throw ConfigurationChangeError(
                            "cannot rename \(writer.path(root, from)): \(AtomicFiles.errorText())")
                    }
                }
            }
        } catch let error as ConfigurationChangeError {
            throw error
        } catch {
            throw ConfigurationChangeError("cannot prepare the change in \(staging): \(error)")
        }
        do {
            return try ConfigurationLoader(pkiDirectory: stagedPKI, profilesDirectory: stagedProfiles)
                .load(generation: 1)
        } catch {
            var issues = error.issues
            for index in issues.indices {
                issues[index].file = unstage(issues[index].file, stagedPKI: stagedPKI, stagedProfiles: stagedProfiles)
                issues[index].message = unstage(
                    issues[index].message, stagedPKI: stagedPKI, stagedProfiles: stagedProfiles)
            }
            throw ConfigurationChangeError(refusing: change.summary, issues: issues)
        }
    }

    static let stagingPrefix = "anchorage-admin-staging-"

    /// Removes staging copies (`$TMPDIR/anchorage-admin-staging-<pid>-<uuid>`) of writers that were killed.
    static func removeAbandonedStagings() {
        let temporary = NSTemporaryDirectory()
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: temporary) else { return }
        for name in names where name.hasPrefix(stagingPrefix) {
            guard let pid = pid_t(name.dropFirst(stagingPrefix.count).prefix { $0 != "-" }), pid != getpid(),
                kill(pid, 0) != 0, errno == ESRCH
            else { continue }
            try? FileManager.default.removeItem(atPath: (temporary as NSString).appendingPathComponent(name))
        }
    }

    private func unstage(_ text: String, stagedPKI: String, stagedProfiles: String) -> String {
        text.replacingOccurrences(of: stagedPKI, with: pkiDirectory)
            .replacingOccurrences(of: stagedProfiles, with: profilesDirectory)
    }

    /// Copies the visible entries of `source` (the loader ignores dot-files) to `destination`, following
    /// symlinks, so the copy loads exactly as the original does — as hard links where the file system allows
    /// (a write costs a link per file, not a copy), else byte copies. A missing source becomes an empty directory.
    private func copyTree(_ source: String, to destination: String) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: destination, withIntermediateDirectories: true)
        guard let names = try? fm.contentsOfDirectory(atPath: source) else { return }
        for name in names where !name.hasPrefix(".") {
            let from = source + "/" + name
            let to = destination + "/" + name
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: from, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                try copyTree(from, to: to)
            } else if linkat(AT_FDCWD, from, AT_FDCWD, to, AT_SYMLINK_FOLLOW) == 0 {
                // On the same file system a hard link is the copy: every write to the staging tree replaces a
                // file by rename (``AtomicFiles``) and every removal unlinks, so nothing reaches the original.
                continue
            } else if let data = fm.contents(atPath: from) {
                try data.write(to: URL(fileURLWithPath: to))
            } else {
                // Unreadable here means unreadable for the loader too: keep it unreadable in the copy.
                _ = fm.createFile(atPath: to, contents: nil, attributes: [.posixPermissions: 0])
            }
        }
    }
}

/// A configuration change that was not made: refused because the configuration would not load with it
/// (``issues`` are the loader's), or a file operation failed. Nothing on disk changed unless the message says so.
public struct ConfigurationChangeError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// The loader's issues when the change was refused for them.
    public var issues: [ConfigurationIssue]

    public init(_ message: String, issues: [ConfigurationIssue] = []) {
        self.message = message
        self.issues = issues
    }

    /// The change would make the configuration invalid.
    public init(refusing change: String, issues: [ConfigurationIssue]) {
        self.init("refused: \(change) would make the configuration invalid; nothing was changed", issues: issues)
    }

    public var description: String { ([message] + issues.map { "error: \($0)" }).joined(separator: "\n") }
}
