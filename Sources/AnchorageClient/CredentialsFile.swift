import AnchorageBasics
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
            if let last = lines.last, !last.trimmingSpacesAndTabs().isEmpty { lines.append("") }
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
        while insertAt > start + 1 && lines[insertAt - 1].trimmingSpacesAndTabs().isEmpty { insertAt -= 1 }
        lines.insert(contentsOf: missing.map { "\($0.0) = \($0.1)" }, at: insertAt)
        return lines.joined(separator: "\n") + "\n"
    }

    /// How long `write` waits for another updater's lock before it gives up.
    public static let lockTimeout: Double = 30

    /// Rewrites `path` with `profile` updated: lock, read, write a temporary file, fsync, rename.
    /// An existing file that cannot be read (or is not UTF-8) is an error and nothing is written:
    /// rewriting it from nothing would lose every other profile. The lock file is never followed
    /// through a symbolic link.
    public static func write(
        path: String, profile: String, credentials: SessionCredentials, lockTimeout: Double = lockTimeout,
        log: (String) -> Void = { _ in }
    ) throws(HelperError) {
        try checkProfileName(profile)
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw HelperError("cannot create \(directory): \(error.localizedDescription)")
            }
        }
        let lockFD = open(path + ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard lockFD >= 0 else {
            let reason = errno == ELOOP ? "it is a symbolic link" : String(cString: strerror(errno))
            throw HelperError("cannot open \(path).lock: \(reason)")
        }
        defer { close(lockFD) }
        try lock(lockFD, path: path + ".lock", timeout: lockTimeout, log: log)
        defer { _ = flock(lockFD, LOCK_UN) }

        let existing = try read(path)
        let text = updated(existing, profile: profile, credentials: credentials)
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
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

    /// Profile names end up between `[` and `]` on a line of their own.
    static func checkProfileName(_ profile: String) throws(HelperError) {
        guard !profile.isEmpty,
            profile.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F && $0 != "[" && $0 != "]" }),
            profile.trimmingSpacesAndTabs() == profile
        else {
            throw HelperError.usage("--profile must be a name without brackets, control characters or outer spaces")
        }
    }

    /// Takes the exclusive lock, saying once that it waits when another updater holds it, and giving
    /// up after `timeout` seconds.
    private static func lock(_ fd: Int32, path: String, timeout: Double, log: (String) -> Void) throws(HelperError) {
        let clock = ContinuousClock()
        let start = clock.now
        var announced = false
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            switch errno {
            case EINTR: continue
            case EWOULDBLOCK:
                if !announced {
                    log("waiting for the lock on \(path) (another updater holds it)")
                    announced = true
                }
                guard clock.now - start < .milliseconds(Int(timeout * 1000)) else {
                    throw HelperError("gave up waiting \(Int(timeout)) s for the lock on \(path)")
                }
                usleep(50_000)
            default:
                throw HelperError("cannot lock \(path): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// The file's text; empty when there is no file. Any other failure to read it is an error.
    static func read(_ path: String) throws(HelperError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return "" }
            throw HelperError("cannot read \(path): \(String(cString: strerror(errno))); nothing written")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw HelperError("cannot read \(path): \(String(cString: strerror(errno))); nothing written")
            }
            bytes += chunk[0..<count]
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw HelperError("cannot read \(path): it is not UTF-8 text; nothing written")
        }
        return text
    }

    private static func sectionName(_ line: String) -> String? {
        let trimmed = line.trimming { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
        guard trimmed.hasPrefix("["), trimmed.hasSuffix("]") else { return nil }
        return String(trimmed.dropFirst().dropLast()).trimmingSpacesAndTabs()
    }

    private static func keyName(_ line: String) -> String? {
        let trimmed = line.trimming { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
        guard !trimmed.hasPrefix("#"), !trimmed.hasPrefix(";"), let equals = trimmed.firstIndex(of: "=") else {
            return nil
        }
        return String(trimmed[..<equals]).trimmingSpacesAndTabs()
    }
}

/// `update`: writes credentials into the shared credentials file, then again `refreshBefore` seconds
/// (5 minutes) before they expire, forever (or once with `--once`). A failed refresh is retried after
/// about 30 seconds (jittered) while the written credentials are still valid; credentials already due
/// for refresh on arrival are followed by a backoff, never by a tight loop (`RefreshSchedule`).
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
        try CredentialsFile.write(path: file, profile: profile, credentials: credentials, log: log)
        log("wrote profile [\(profile)] to \(file), expires \(credentials.expiration)")
        if once { return }
        var schedule = RefreshSchedule(refreshBefore: refreshBefore, failureDelay: 30)
        var delay = schedule.afterSuccess(expiration: credentials.expirationSeconds, now: SystemClock().seconds)
        while true {
            if delay.isBackoff {
                log(
                    "the credentials expiring \(credentials.expiration) are already due for refresh "
                        + "(--refresh-before \(refreshBefore)); next refresh in \(String(format: "%.1f", delay.seconds)) s"
                )
            }
            sleepSeconds(delay.seconds)
            do {
                credentials = try client.createSession()
                try CredentialsFile.write(path: file, profile: profile, credentials: credentials, log: log)
                log("refreshed profile [\(profile)] in \(file), expires \(credentials.expiration)")
                delay = schedule.afterSuccess(expiration: credentials.expirationSeconds, now: SystemClock().seconds)
            } catch {
                let seconds = schedule.afterFailure()
                log("refresh failed: \(error); retrying in \(String(format: "%.1f", seconds)) s")
                delay = RefreshSchedule.Delay(seconds: seconds, isBackoff: false)
            }
        }
    }
}

/// Sleeps `seconds` (fractions included; nothing for ≤ 0).
func sleepSeconds(_ seconds: Double) {
    guard seconds > 0 else { return }
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
}
