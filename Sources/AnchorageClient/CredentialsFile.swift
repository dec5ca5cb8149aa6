import AnchorageCore
import Foundation
internal import Glibc

/// The shared credentials file (`AWS_SHARED_CREDENTIALS_FILE` or `~/.aws/credentials`), updated in
/// place of one profile: every other section, key and comment is kept; the file is written to a
/// temporary file (mode 0600) and renamed over the old one, under an exclusive `flock` on a sidecar
/// `<file>.lock`, so two updaters never interleave and readers never see half a file.
public enum CredentialsFile {
    public static func path(environment: [String: String]) -> String {
        if let path = environment["AWS_SHARED_CREDENTIALS_FILE"], !path.isEmpty { return path }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.aws/credentials"
    }

    /// `text` with `[profile]` holding the three keys of `credentials`; everything else as it was.
    public static func updated(_ text: String, profile: String, credentials: SessionCredentials) -> String {
        let values = [
            ("aws_access_key_id", credentials.accessKeyId),
            ("aws_secret_access_key", credentials.secretAccessKey),
            ("aws_session_token", credentials.sessionToken),
        ]
        var lines = text.isEmpty ? [] : text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        var sectionStart: Int?
        var sectionEnd = lines.count
        for (index, line) in lines.enumerated() {
            guard let name = sectionName(line) else { continue }
            if sectionStart != nil {
                sectionEnd = index
                break
            }
            if name == profile { sectionStart = index }
        }
        guard let start = sectionStart else {
            if let last = lines.last, !last.trimmed(of: " \t").isEmpty { lines.append("") }
            lines.append("[\(profile)]")
            for (key, value) in values { lines.append("\(key) = \(value)") }
            return lines.joined(separator: "\n") + "\n"
        }
        var missing: [(String, String)] = []
        for (key, value) in values {
            if let index = (start + 1..<sectionEnd).first(where: { keyName(lines[$0]) == key }) {
                lines[index] = "\(key) = \(value)"
            } else {
                missing.append((key, value))
            }
        }
        // New keys go after the section's last non-blank line.
        var insertAt = sectionEnd
        while insertAt > start + 1 && lines[insertAt - 1].trimmed(of: " \t").isEmpty { insertAt -= 1 }
        lines.insert(contentsOf: missing.map { "\($0.0) = \($0.1)" }, at: insertAt)
        return lines.joined(separator: "\n") + "\n"
    }

    /// Rewrites `path` with `profile` updated: lock, read, write a temporary file, fsync, rename.
    public static func write(path: String, profile: String, credentials: SessionCredentials) throws(HelperError) {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw HelperError("cannot create \(directory): \(error.localizedDescription)")
            }
        }
        let lockFD = open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lockFD >= 0 else { throw HelperError("cannot open \(path).lock: \(String(cString: strerror(errno)))") }
        defer { close(lockFD) }
        while flock(lockFD, LOCK_EX) != 0 {
            guard errno == EINTR else {
                throw HelperError("cannot lock \(path).lock: \(String(cString: strerror(errno)))")
            }
        }
        defer { _ = flock(lockFD, LOCK_UN) }

        let existing = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let text = updated(existing, profile: profile, credentials: credentials)
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw HelperError("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        let bytes = Array(text.utf8)
        var offset = 0
        var failed = false
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                failed = true
                break
            }
            offset += written
        }
        if fsync(fd) != 0 { failed = true }
        fchmod(fd, 0o600)
        close(fd)
        guard !failed, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw HelperError("cannot write \(path): \(reason)")
        }
    }

    private static func sectionName(_ line: String) -> String? {
        let trimmed = line.trimmed(of: " \t\r")
        guard trimmed.hasPrefix("["), trimmed.hasSuffix("]") else { return nil }
        return trimmed.dropFirst().dropLast().trimmed(of: " \t")
    }

    private static func keyName(_ line: String) -> String? {
        let trimmed = line.trimmed(of: " \t\r")
        guard !trimmed.hasPrefix("#"), !trimmed.hasPrefix(";"), let equals = trimmed.firstIndex(of: "=") else {
            return nil
        }
        return trimmed[..<equals].trimmed(of: " \t")
    }
}

/// `update`: writes credentials into the shared credentials file, then again `refreshBefore` seconds
/// (5 minutes) before they expire, forever (or once with `--once`). A failed refresh is retried every
/// 30 seconds while the written credentials are still valid.
public struct CredentialsFileUpdater: Sendable {
    public var client: CreateSessionClient
    public var file: String
    public var profile: String
    public var refreshBefore: Int64
    public var log: @Sendable (String) -> Void

    public init(
        client: CreateSessionClient, file: String, profile: String, refreshBefore: Int64,
        log: @escaping @Sendable (String) -> Void
    ) {
        self.client = client
        self.file = file
        self.profile = profile
        self.refreshBefore = refreshBefore
        self.log = log
    }

    public func run(once: Bool) throws {
        var credentials = try client.createSession()
        try CredentialsFile.write(path: file, profile: profile, credentials: credentials)
        log("wrote profile [\(profile)] to \(file), expires \(credentials.expiration)")
        if once { return }
        while true {
            let wait = credentials.expirationSeconds - refreshBefore - SystemClock().seconds
            if wait > 0 { sleep(UInt32(clamping: wait)) }
            do {
                credentials = try client.createSession()
                try CredentialsFile.write(path: file, profile: profile, credentials: credentials)
                log("refreshed profile [\(profile)] in \(file), expires \(credentials.expiration)")
            } catch {
                log("refresh failed: \(error); retrying in 30 s")
                sleep(30)
            }
        }
    }
}
