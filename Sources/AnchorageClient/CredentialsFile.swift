import AnchorageBasics
import AnchorageCore
internal import Glibc

/// The shared credentials file (`AWS_SHARED_CREDENTIALS_FILE` or `~/.aws/credentials`), updated in
/// place of one profile: every other section, key and comment is kept; the file is written to a
/// temporary file (mode 0600) and renamed over the old one, under an exclusive `flock` on a sidecar
/// `<file>.lock`, so two updaters never interleave and readers never see half a file.
public enum CredentialsFile {
    public static func path(environment: [String: String]) -> String {
        if let path = environment["AWS_SHARED_CREDENTIALS_FILE"], !path.isEmpty { return path }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? SystemIO.passwordDatabaseHome() ?? "/"
        return home + "/.aws/credentials"
    }

    /// `text` with `[profile]` holding the three keys of `credentials`; everything else as it was.
    public static func updated(_ text: String, profile: String, credentials: SessionCredentials) -> String {
        let values = [
            ("aws_access_key_id", credentials.accessKeyId),
            ("aws_secret_access_key", credentials.secretAccessKey),
            ("aws_session_token", credentials.sessionToken),
        ]
        // Split at LF bytes, not Characters: a CR LF pair is one Character and would hide the line break.
        var lines =
            text.isEmpty
            ? []
            : text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).map {
                String(decoding: $0, as: UTF8.self)
            }
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
        let directory = parentDirectory(of: path)
        if !directory.isEmpty { try createDirectories(directory) }
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
        let bytes: [UInt8]
        switch SystemIO.readFile(path) {
        case .success(let read): bytes = read
        case .failure(let error) where error.code == ENOENT: return ""
        case .failure(let error): throw HelperError("cannot read \(path): \(error); nothing written")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw HelperError("cannot read \(path): it is not UTF-8 text; nothing written")
        }
        return text
    }

    /// The folder part of `path` (`a/b/c` → `a/b`, `/c` → `/`, `c` → empty), trailing slashes ignored.
    static func parentDirectory(of path: String) -> String {
        var bytes = Array(path.utf8)
        while bytes.count > 1, bytes.last == 0x2F { bytes.removeLast() }
        guard let slash = bytes.lastIndex(of: 0x2F) else { return "" }
        var end = slash
        while end > 0, bytes[end - 1] == 0x2F { end -= 1 }
        return end == 0 ? "/" : String(decoding: bytes[..<end], as: UTF8.self)
    }

    /// Creates `directory` and its missing parents, each with mode 0700 (the credentials folder is the
    /// user's alone); folders that exist are left as they are.
    private static func createDirectories(_ directory: String) throws(HelperError) {
        var status = stat()
        guard stat(directory, &status) != 0 else { return }
        let parent = parentDirectory(of: directory)
        if !parent.isEmpty, parent != directory { try createDirectories(parent) }
        if mkdir(directory, 0o700) != 0 {
            guard errno == EEXIST else {
                throw HelperError("cannot create \(directory): \(String(cString: strerror(errno)))")
            }
            return
        }
        chmod(directory, 0o700)
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
                        + "(--refresh-before \(refreshBefore)); next refresh in \(SystemIO.fixed(delay.seconds, places: 1)) s"
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
                log("refresh failed: \(error); retrying in \(SystemIO.fixed(seconds, places: 1)) s")
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
