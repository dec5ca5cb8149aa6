import AnchorageConfig
import AnchorageCore
import Foundation

/// One change to the configuration directories. Every admin command makes exactly one, so each
/// command is a single atomic step on disk.
struct ConfigurationChange {
    typealias Root = ConfigurationWriter.Root

    enum Operation {
        /// Creates or replaces one file (made by ``ConfigurationWriter``).
        case writeFile(ConfigurationWriter.File)
        /// Creates a new directory with its files (a trust anchor's, from ``ConfigurationWriter``).
        case addDirectory(Root, String, [(name: String, bytes: [UInt8])])
        case removeFile(Root, String)
        case removeDirectory(Root, String)
    }

    /// What the change does, for messages ("add trust anchor web-ca").
    var summary: String
    var operation: Operation
}

/// The `--pki` and `--profiles` directories an admin command works on.
///
/// ``apply(_:)`` validates before it writes: it copies the configuration to a temporary directory,
/// makes the change there, and runs ``ConfigurationLoader`` — the loader `serve` and `validate` run —
/// on the copy. Only when that loads is the change made to the real directories, atomically.
/// Otherwise it throws and nothing on disk has changed.
struct ConfigurationWorkspace {
    var pkiDirectory: String
    var profilesDirectory: String

    /// Writes the real directories, durably.
    var writer: ConfigurationWriter {
        ConfigurationWriter(pkiDirectory: pkiDirectory, profilesDirectory: profilesDirectory)
    }

    func path(_ root: ConfigurationChange.Root, _ relative: String) -> String { writer.path(root, relative) }

    func directory(_ root: ConfigurationChange.Root) -> String { writer.directory(root) }

    /// For the commands that only read (`list`): a directory that is not there is a mistyped path or the
    /// wrong working directory, not an empty configuration. (Commands that change it create it.)
    func requireDirectory(_ root: ConfigurationChange.Root) throws(AdminError) {
        let path = directory(root)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw AdminError(
                "\(path) is not a directory: no configuration to list there "
                    + "(give --\(root == .pki ? "pki" : "profiles") DIR, or run where it is)")
        }
    }

    /// Loads the configuration as it is on disk.
    func load() throws(AdminError) -> Configuration {
        do {
            return try ConfigurationLoader(pkiDirectory: pkiDirectory, profilesDirectory: profilesDirectory)
                .load(generation: 1)
        } catch {
            throw AdminError(
                "the configuration in \(pkiDirectory) and \(profilesDirectory) does not load",
                details: error.issues.map { "error: \($0)" })
        }
    }

    /// Validates `change` on a copy of the configuration, then applies it. Returns the new configuration.
    @discardableResult
    func apply(_ change: ConfigurationChange) throws(AdminError) -> Configuration {
        let lock = try AdminError.wrapping { () throws(ConfigurationWriteError) in
            try ConfigurationLock(pkiDirectory: pkiDirectory, profilesDirectory: profilesDirectory)
        }
        defer { lock.release() }
        // Under the lock no other admin command runs here: hidden temporaries are leftovers of a killed one.
        AtomicFiles.removeLeftovers(in: pkiDirectory)
        AtomicFiles.removeLeftovers(in: profilesDirectory)
        Self.removeAbandonedStagings()
        let configuration = try validate(change)
        try AdminError.wrapping { () throws(ConfigurationWriteError) in
            switch change.operation {
            case .writeFile(let file):
                try writer.write(file)
            case .addDirectory(let root, let relative, let files):
                try AtomicFiles.createDirectory(path(root, relative), files: files)
            case .removeFile(let root, let relative):
                try AtomicFiles.removeFile(path(root, relative))
            case .removeDirectory(let root, let relative):
                try AtomicFiles.removeDirectory(path(root, relative))
            }
            // Both roots exist after a successful change, even on a first run from nothing.
            try AtomicFiles.makeDirectories(pkiDirectory)
            try AtomicFiles.makeDirectories(profilesDirectory)
        }
        return configuration
    }

    /// Loads the would-be configuration (a copy with `change` made) and returns it, or throws the loader's
    /// issues with paths named as in the real directories.
    func validate(_ change: ConfigurationChange) throws(AdminError) -> Configuration {
        let staging = (NSTemporaryDirectory() as NSString).appendingPathComponent(
            Self.stagingPrefix + "\(getpid())-" + UUID().uuidString)
        defer { try? FileManager.default.removeItem(atPath: staging) }
        let stagedPKI = staging + "/PKI"
        let stagedProfiles = staging + "/Profiles"
        do {
            try copyTree(pkiDirectory, to: stagedPKI)
            try copyTree(profilesDirectory, to: stagedProfiles)
            // The staging copy is thrown away: written through the same writer, unsynced.
            let staged = ConfigurationWriter(
                pkiDirectory: stagedPKI, profilesDirectory: stagedProfiles, synced: false)
            let fm = FileManager.default
            switch change.operation {
            case .writeFile(let file):
                try staged.write(file)
            case .addDirectory(let root, let relative, let files):
                let target = staged.path(root, relative)
                guard !fm.fileExists(atPath: target) else {
                    throw AdminError("\(path(root, relative)) already exists")
                }
                for file in files {
                    let filePath = target + "/" + file.name
                    try fm.createDirectory(
                        atPath: (filePath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    try Data(file.bytes).write(to: URL(fileURLWithPath: filePath))
                }
            case .removeFile(let root, let relative), .removeDirectory(let root, let relative):
                guard fm.fileExists(atPath: path(root, relative)) else {
                    throw AdminError("\(path(root, relative)) does not exist")
                }
                try fm.removeItem(atPath: staged.path(root, relative))
            }
        } catch let error as AdminError {
            throw error
        } catch let error as ConfigurationWriteError {
            throw AdminError("cannot prepare the change in \(staging): \(error)")
        } catch {
            throw AdminError("cannot prepare the change in \(staging): \(error)")
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
            throw AdminError(refusing: change.summary, ConfigurationError(issues: issues))
        }
    }

    static let stagingPrefix = "anchorage-admin-staging-"

    /// Removes staging copies (`$TMPDIR/anchorage-admin-staging-<pid>-<uuid>`) of commands that were killed.
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
    /// symlinks, so the copy loads exactly as the original does. A missing source becomes an empty directory.
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
            } else if let data = fm.contents(atPath: from) {
                try data.write(to: URL(fileURLWithPath: to))
            } else {
                // Unreadable here means unreadable for the loader too: keep it unreadable in the copy.
                _ = fm.createFile(atPath: to, contents: nil, attributes: [.posixPermissions: 0])
            }
        }
    }
}
