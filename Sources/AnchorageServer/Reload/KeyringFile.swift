public import AnchorageCore
import AnchorageCrypto
import AnchorageLocking
import Foundation
import Synchronization

/// Reads and creates the token keyring file (mode 0600).
public enum KeyringFile {
    /// Loads the keyring at `path`; refuses a file readable by group or others.
    public static func load(_ path: String) throws -> TokenKeyring {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ServeError("cannot read the token keyring \(path)")
        }
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & 0o077 != 0 {
            throw ServeError("the token keyring \(path) must not be readable by group or others (chmod 600)")
        }
        do {
            return try TokenKeyring(json: try JSONParser.parse([UInt8](data)))
        } catch let error as SchemaError {
            throw ServeError("\(path): \(error)")
        } catch {
            throw ServeError("\(path): invalid JSON: \(error)")
        }
    }

    /// Loads `path`, or creates it with one fresh key when it does not exist.
    public static func loadOrCreate(_ path: String, random: any RandomSource) throws -> TokenKeyring {
        if FileManager.default.fileExists(atPath: path) { return try load(path) }
        let keyring = TokenKeyring.generate(id: "k-" + Hex.encode(random.bytes(4)), random: random)
        try SecureFile.write(Array((JSONWriter.string(keyring.json) + "\n").utf8), to: path, mode: 0o600)
        return keyring
    }
}

/// Re-reads the token keyring file into a ``SharedTokenKeyring`` (rotation without a restart).
///
/// `serve` calls ``reload(trigger:onlyIfChanged:)`` on SIGHUP and every second (only when the file's
/// inode, size or modification time changed). A file that does not load — missing, unreadable by group
/// or others, invalid — is reported and the keyring in force keeps serving.
public final class KeyringReloader: Sendable {
    public let path: String
    public let shared: SharedTokenKeyring
    private let fingerprint: Locked<String>

    public init(path: String, shared: SharedTokenKeyring) {
        self.path = path
        self.shared = shared
        self.fingerprint = Locked(Self.fingerprint(path))
    }

    static func fingerprint(_ path: String) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { return "missing" }
        return "\(info.st_ino)|\(info.st_size)|\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)|\(info.st_mode)"
    }

    /// Reloads the keyring; returns the new key ids (oldest first) when the keys changed, nil otherwise.
    @discardableResult
    public func reload(trigger: String, onlyIfChanged: Bool, logger: Logger) -> [String]? {
        let now = Self.fingerprint(path)
        let changed = fingerprint.withLock { previous in
            defer { previous = now }
            return previous != now
        }
        if onlyIfChanged && !changed { return nil }
        let keyring: TokenKeyring
        do {
            keyring = try KeyringFile.load(path)
        } catch {
            logger.error(
                "token keyring reload failed; the keyring in force keeps serving",
                ["trigger": trigger, "file": path, "error": "\(error)"])
            return nil
        }
        let before = shared.current
        let same =
            before.keys.count == keyring.keys.count
            && zip(before.keys, keyring.keys).allSatisfy { $0.id == $1.id && $0.secret == $1.secret }
        if same { return nil }
        shared.replace(with: keyring)
        let ids = keyring.keys.map(\.id)
        // Key ids only: never a secret.
        logger.info(
            "token keyring reloaded",
            ["trigger": trigger, "file": path, "keys": ids.joined(separator: ","), "sealingKey": keyring.sealingKey.id])
        return ids
    }
}

/// Atomic writes of files that may hold secrets.
public enum SecureFile {
    /// Writes `bytes` to a hidden temporary file with `mode` in the same directory (the configuration loader
    /// ignores dot-files), fsyncs it, renames it over `path`, and fsyncs the directory: after a crash at any
    /// point `path` holds the old content or the new one. A temporary file left by a killed writer is
    /// removed by the next write to the same `path`.
    public static func write(_ bytes: [UInt8], to path: String, mode: UInt32) throws {
        let directory =
            (path as NSString).deletingLastPathComponent.isEmpty
            ? "." : (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        removeStaleTemporaries(of: name, in: directory)
        let temporary = directory + "/." + name + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw ServeError("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                close(fd)
                unlink(temporary)
                throw ServeError("cannot write \(temporary): \(reason)")
            }
            offset += written
        }
        fchmod(fd, mode)
        guard fsync(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            unlink(temporary)
            throw ServeError("cannot fsync \(temporary): \(reason)")
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw ServeError("cannot rename \(temporary) to \(path)")
        }
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    /// Removes `.<name>.tmp-<pid>` files of writers that no longer run.
    static func removeStaleTemporaries(of name: String, in directory: String) {
        let prefix = "." + name + ".tmp-"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for entry in entries where entry.hasPrefix(prefix) {
            guard let pid = pid_t(entry.dropFirst(prefix.count)), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH
            else { continue }
            unlink(directory + "/" + entry)
        }
    }
}
