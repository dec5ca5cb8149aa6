public import AnchorageCore
import AnchorageCrypto
import Foundation

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

/// Atomic writes of files that may hold secrets.
public enum SecureFile {
    /// Writes `bytes` to a temporary file with `mode` in the same directory, fsyncs, and renames it over `path`.
    public static func write(_ bytes: [UInt8], to path: String, mode: UInt32) throws {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw ServeError("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                close(fd)
                unlink(temporary)
                throw ServeError("cannot write \(temporary)")
            }
            offset += written
        }
        fchmod(fd, mode)
        fsync(fd)
        close(fd)
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw ServeError("cannot rename \(temporary) to \(path)")
        }
    }
}
