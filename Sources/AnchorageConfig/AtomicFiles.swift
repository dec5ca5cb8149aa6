public import Foundation

/// Durable, atomic file-system primitives: every file is written to a temporary name in its final
/// directory, fsynced, renamed into place, and the directory is fsynced, so a crash or a reader (the
/// server's file watch) sees either the old content or the new, never a mixture. ``ConfigurationWriter`` and
/// the admin commands write the configuration through these.
public enum AtomicFiles {
    /// Writes `bytes` to `path` atomically.
    /// - Parameters:
    ///   - mode: permissions of a new file; a replaced file keeps its own mode unless `forceMode`.
    ///   - replace: false refuses an existing `path` (checked atomically with link(2)).
    ///   - forceMode: apply `mode` even when replacing (private keys).
    ///   - synced: fsync the file and its directory (false only for throwaway trees: tests, the benchmark).
    public static func write(
        _ bytes: [UInt8], to path: String, mode: mode_t = 0o644, replace: Bool = true, forceMode: Bool = false,
        synced: Bool = true
    ) throws(ConfigurationWriteError) {
        // Write through a symlink to its target, so a linked configuration (stow, Nix, Ansible) stays linked.
        let target = resolvedSymlink(path)
        let directory =
            (target as NSString).deletingLastPathComponent.isEmpty
            ? "." : (target as NSString).deletingLastPathComponent
        let name = (target as NSString).lastPathComponent
        var effectiveMode = mode
        var existing = stat()
        if stat(target, &existing) == 0 {
            guard replace else { throw ConfigurationWriteError("\(path) already exists; refusing to overwrite it") }
            if !forceMode { effectiveMode = existing.st_mode & 0o7777 }
        }
        let temporary = directory + "/." + name + ".tmp-" + UUID().uuidString.prefix(8).lowercased()
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, effectiveMode)
        guard descriptor >= 0 else {
            // Name what the user gave and what is missing, not the hidden temporary name.
            throw ConfigurationWriteError(
                errno == ENOENT
                    ? "cannot create \(path): the directory \(directory) does not exist"
                    : "cannot create \(path) in \(directory): \(errorText())")
        }
        var closed = false
        defer {
            if !closed { close(descriptor) }
        }
        do throws(ConfigurationWriteError) {
            // The umask may have narrowed the mode; set it exactly.
            guard fchmod(descriptor, effectiveMode) == 0 else {
                throw ConfigurationWriteError("chmod \(temporary): \(errorText())")
            }
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeBytes { buffer in
                    Foundation.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                }
                if written < 0 {
                    if errno == EINTR { continue }
                    throw ConfigurationWriteError("cannot write \(temporary): \(errorText())")
                }
                offset += written
            }
            guard !synced || fsync(descriptor) == 0 else {
                throw ConfigurationWriteError("fsync \(temporary): \(errorText())")
            }
            closed = true
            guard close(descriptor) == 0 else { throw ConfigurationWriteError("close \(temporary): \(errorText())") }
            if replace {
                guard rename(temporary, target) == 0 else {
                    throw ConfigurationWriteError("cannot rename \(temporary) to \(target): \(errorText())")
                }
            } else {
                guard link(temporary, target) == 0 else {
                    throw ConfigurationWriteError(
                        errno == EEXIST
                            ? "\(path) already exists; refusing to overwrite it"
                            : "cannot create \(target): \(errorText())")
                }
                unlink(temporary)
            }
        } catch {
            unlink(temporary)
            throw error
        }
        if synced { try syncDirectory(directory) }
    }

    /// Creates `path` and any missing parents (mode 0755), fsyncing each parent after a creation.
    public static func makeDirectories(
        _ path: String, mode: mode_t = 0o755, synced: Bool = true
    ) throws(ConfigurationWriteError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw ConfigurationWriteError("\(path) exists and is not a directory") }
            return
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != path { try makeDirectories(parent, mode: mode, synced: synced) }
        guard mkdir(path, mode) == 0 || errno == EEXIST else {
            throw ConfigurationWriteError("cannot create \(path): \(errorText())")
        }
        if synced { try syncDirectory(parent.isEmpty ? "." : parent) }
    }

    /// Creates directory `path` holding `files` (name → bytes) atomically: the directory is built under a
    /// hidden temporary name beside it (the loader ignores dot-files), then renamed into place.
    public static func createDirectory(
        _ path: String, files: [(name: String, bytes: [UInt8])], synced: Bool = true
    ) throws(ConfigurationWriteError) {
        let parent = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        guard !FileManager.default.fileExists(atPath: path) else {
            throw ConfigurationWriteError("\(path) already exists")
        }
        try makeDirectories(parent, synced: synced)
        let temporary = parent + "/." + name + ".tmp-" + UUID().uuidString.prefix(8).lowercased()
        guard mkdir(temporary, 0o755) == 0 else {
            throw ConfigurationWriteError("cannot create \(temporary): \(errorText())")
        }
        do throws(ConfigurationWriteError) {
            for file in files {
                let filePath = temporary + "/" + file.name
                try makeDirectories((filePath as NSString).deletingLastPathComponent, synced: synced)
                try write(file.bytes, to: filePath, replace: false, synced: synced)
            }
            if synced { try syncDirectory(temporary) }
            guard rename(temporary, path) == 0 else {
                throw ConfigurationWriteError("cannot rename \(temporary) to \(path): \(errorText())")
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        if synced { try syncDirectory(parent) }
    }

    /// Removes the file `path` (unlink is atomic) and fsyncs its directory.
    public static func removeFile(_ path: String) throws(ConfigurationWriteError) {
        guard unlink(path) == 0 else { throw ConfigurationWriteError("cannot remove \(path): \(errorText())") }
        try syncDirectory((path as NSString).deletingLastPathComponent)
    }

    /// Renames the file `from` to `to` (replacing `to`) atomically and fsyncs the directory.
    public static func renameFile(_ from: String, to: String) throws(ConfigurationWriteError) {
        guard rename(from, to) == 0 else {
            throw ConfigurationWriteError("cannot rename \(from) to \(to): \(errorText())")
        }
        try syncDirectory((to as NSString).deletingLastPathComponent)
    }

    /// Removes directory `path`: renamed atomically to a hidden name (from then on it is out of the
    /// configuration), the parent fsynced, then deleted.
    public static func removeDirectory(_ path: String) throws(ConfigurationWriteError) {
        let parent = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let doomed = parent + "/." + name + ".removed-" + UUID().uuidString.prefix(8).lowercased()
        guard rename(path, doomed) == 0 else { throw ConfigurationWriteError("cannot remove \(path): \(errorText())") }
        try syncDirectory(parent)
        do {
            try FileManager.default.removeItem(atPath: doomed)
        } catch {
            throw ConfigurationWriteError(
                "\(path) was removed from the configuration, but deleting \(doomed) failed: \(error)")
        }
    }

    /// Removes what a command killed part-way leaves behind: hidden temporary files and directories
    /// (`.NAME.tmp-XXXXXXXX`) and directories renamed out of the configuration (`.NAME.removed-XXXXXXXX`),
    /// anywhere under `root`. The loader ignores dot-files, so they never were part of the configuration;
    /// callers hold the admin lock, so no running command owns them.
    public static func removeLeftovers(in root: String) {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: root) else { return }
        for name in names {
            let path = root + "/" + name
            if isLeftover(name) {
                try? fm.removeItem(atPath: path)
                continue
            }
            var isDirectory: ObjCBool = false
            guard !name.hasPrefix("."), fm.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue,
                (try? fm.destinationOfSymbolicLink(atPath: path)) == nil
            else { continue }
            removeLeftovers(in: path)
        }
    }

    /// `.NAME.tmp-XXXXXXXX` or `.NAME.removed-XXXXXXXX`, X lowercase hex: the names ``write(_:to:mode:replace:forceMode:synced:)``,
    /// ``createDirectory(_:files:synced:)`` and ``removeDirectory(_:)`` use.
    public static func isLeftover(_ name: String) -> Bool {
        guard name.hasPrefix("."), name.count > 10 else { return false }
        let suffix = name.suffix(8)
        guard suffix.allSatisfy({ ("0"..."9").contains($0) || ("a"..."f").contains($0) }) else { return false }
        let rest = name.dropLast(8)
        return rest.hasSuffix(".tmp-") || rest.hasSuffix(".removed-")
    }

    /// fsync(2) on a directory, so renames and creations in it are durable.
    public static func syncDirectory(_ path: String) throws(ConfigurationWriteError) {
        let descriptor = open(path.isEmpty ? "." : path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ConfigurationWriteError("cannot open directory \(path): \(errorText())") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw ConfigurationWriteError("fsync \(path): \(errorText())") }
    }

    /// `path`, or the file a symlink at `path` finally points to.
    public static func resolvedSymlink(_ path: String) -> String {
        var current = path
        for _ in 0..<40 {
            guard let destination = try? FileManager.default.destinationOfSymbolicLink(atPath: current) else {
                return current
            }
            current =
                destination.hasPrefix("/")
                ? destination : (current as NSString).deletingLastPathComponent + "/" + destination
        }
        return current
    }

    public static func errorText() -> String { String(cString: strerror(errno)) }
}
