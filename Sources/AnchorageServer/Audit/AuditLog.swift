import AnchorageBasics
public import AnchorageCore
import AnchorageLocking
import Foundation
import Synchronization

/// Appends one JSON object per line to `<state-dir>/audit.jsonl` (contract §5).
///
/// Each record reaches the `O_APPEND` descriptor whole, in one `write(2)` (its own, or its batch's), before the
/// response leaves, so concurrent event loops never interleave lines and a crash (kill -9) loses only records
/// of requests that were never answered. With ``Sync/data`` (the default) the record is also
/// `fdatasync(2)`ed before its answer leaves, so an answered request survives a power loss too.
///
/// Records are numbered as they are written (``write(line:)`` returns the number, a *ticket*), and
/// ``commit(upTo:)`` makes every record up to a ticket durable with one flush: the HTTP server holds
/// the answers and its commit thread commits once for everything asked for while the previous flush ran
/// (group commit); a flush covers every record written before it started. With ``Sync/data`` on a regular
/// file, where no answer leaves before its commit, ``write(line:)`` only queues the record in memory and the
/// commit writes the whole queue with one `write(2)` before its `fdatasync(2)`: the event loops make no
/// system call and take no contended lock for their records.
///
/// A write that fails part-way is cut back off the file, and a torn last line left by a crash of an
/// earlier process (a record whose answer was never sent) is cut off when the log is opened and
/// reported in ``repairedTail``: every line of the file is one complete JSON object.
///
/// Rotation. The open file must stay the file at ``path``: after every write (``Sync/none``) or flush
/// (``Sync/data``) the log checks that the path still names its inode. When it does not (renamed or deleted
/// by hand or by a logrotate without `postrotate`), the log opens the path again (creating it, mode 0600)
/// before any answer covered by those records leaves: records written to a renamed file are still on disk
/// there and their answers leave; records written to a deleted file (no link left) would be lost, so they
/// are written again to the new file first. When the path cannot be opened, those answers become 503 and
/// `/readyz` reports not ready until it can. ``reopen()`` (SIGHUP, SIGUSR1) opens the path again at once.
public final class AuditLog: Sendable {
    /// What `append` waits for before the answer may leave.
    public enum Sync: String, Sendable {
        /// The kernel's page cache: survives a crash of the process, not of the machine.
        case none
        /// `fdatasync(2)` after every record: survives a power loss.
        case data
    }

    /// The open file and its identity. Held while a record is written without a commit (``Sync/none``);
    /// replaced only under `flushState` too, so a commit's write never meets a closed descriptor.
    private let file: Locked<OpenFile>
    /// The last write, flush or reopen failure: what failed, the path and `strerror(3)`; for the server log.
    private let failure = Locked<String?>(nil)
    /// Rotations and reopen failures are reported here.
    private let logger: Logger?
    /// Records queued for the next commit (``needsCommit`` only), in ticket order.
    private let queued = Locked<[UInt8]>([])
    /// Tickets: the number of the last record written or queued, taken under the lock that orders the records
    /// (`queued`'s with ``needsCommit``, `file`'s otherwise).
    private let written = Atomic<UInt64>(0)
    /// The flush state, held for the length of a flush so concurrent committers wait for it and then
    /// usually find their records covered.
    private let flushState = Locked(FlushState())
    /// `flushState.durableThrough`, readable without waiting for a flush in progress.
    private let durableHint = Atomic<UInt64>(0)
    /// `fdatasync` calls made, failed ones included (for `/metrics`: records per flush is the batch size).
    private let flushes = Atomic<UInt64>(0)
    /// Monotonic nanoseconds of the last failed append (0: none), so `/readyz` drains a replica that
    /// cannot audit for a while, and then lets traffic probe it again.
    private let lastFailureTime = Atomic<UInt64>(0)
    public let path: String
    public let sync: Sync
    /// Only regular files are synced and repaired (tests and operators may point the log at a device).
    private let isRegularFile: Bool
    /// The incomplete last line found (and cut off) when the log was opened, if any.
    public let repairedTail: String?

    /// How long `/readyz` reports not ready after a failed append.
    static let failureHoldNanoseconds: UInt64 = 10_000_000_000
    /// Below this much free space on its file system the log is not ready.
    static let minimumFreeBytes: UInt64 = 64 * 1024

    /// A descriptor of the log and the inode it has open.
    private struct OpenFile {
        var fd: Int32
        var device: UInt64
        var inode: UInt64
    }

    /// Whether the open file is still the file at the path.
    private enum Placement {
        case atPath
        /// Another inode or none is at the path; `linked`: the open file still has a name (renamed).
        case moved(linked: Bool)
    }

    private struct FlushState {
        /// Every record up to this ticket is on disk.
        var durableThrough: UInt64 = 0
        /// A flush failed while records up to this ticket were written: they count as lost even if a
        /// later flush succeeds, because after a failed `fdatasync` Linux may drop the dirty pages and
        /// report the next flush clean.
        var failedThrough: UInt64 = 0
    }

    /// Opens (creating with mode 0600) the log at `path`; `logger` hears of rotations.
    public init(path: String, sync: Sync = .data, logger: Logger? = nil) throws {
        let opened = try Self.open(path)
        self.path = path
        self.sync = sync
        self.logger = logger
        self.isRegularFile = opened.regular
        self.repairedTail = opened.repairedTail
        self.file = Locked(opened.file)
    }

    deinit { file.withLock { _ = close($0.fd) } }

    /// Opens (creating) `path` for appending, repairs a torn tail of a regular file, and returns it.
    private static func open(_ path: String) throws -> (file: OpenFile, regular: Bool, repairedTail: String?) {
        let fd = Glibc.open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw ServeError("cannot open the audit log \(path): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let error = String(cString: strerror(errno))
            close(fd)
            throw ServeError("cannot stat the audit log \(path): \(error)")
        }
        let regular = (info.st_mode & S_IFMT) == S_IFREG
        var repaired: String?
        if regular, info.st_size > 0 {
            do {
                repaired = try Self.cutTornTail(fd, size: Int(info.st_size), path: path)
            } catch {
                close(fd)
                throw error
            }
        }
        return (OpenFile(fd: fd, device: UInt64(info.st_dev), inode: UInt64(info.st_ino)), regular, repaired)
    }

    /// When the file does not end with a newline, the bytes after the last newline are the start of a
    /// record whose write was interrupted (its answer was never sent): cut them off and return them (at most
    /// their first 4 KiB, for the log). The last newline is looked for however far back it is.
    private static func cutTornTail(_ fd: Int32, size: Int, path: String) throws -> String? {
        func readFailure() -> ServeError {
            ServeError("cannot read the audit log \(path): \(String(cString: strerror(errno)))")
        }
        var last: UInt8 = 0
        guard pread(fd, &last, 1, off_t(size - 1)) == 1 else { throw readFailure() }
        if last == 0x0A { return nil }
        // Back from the end, a window at a time, to the last newline or the start of the file.
        let window = 1 << 20
        var bytes = [UInt8](repeating: 0, count: min(size, window))
        var end = size
        var keep = 0
        search: while end > 0 {
            let start = max(0, end - window)
            let count = end - start
            let read = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, count, off_t(start)) }
            guard read == count else { throw readFailure() }
            if let newline = bytes[..<count].lastIndex(of: 0x0A) {
                keep = start + newline + 1
                break search
            }
            end = start
        }
        let shown = min(size - keep, 4096)
        var fragment = [UInt8](repeating: 0, count: shown)
        let read = fragment.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, shown, off_t(keep)) }
        guard read == shown else { throw readFailure() }
        var text = String(decoding: fragment, as: UTF8.self)
        if size - keep > shown { text += "… (\(size - keep) bytes)" }
        guard ftruncate(fd, off_t(keep)) == 0, fsync(fd) == 0 else {
            throw ServeError("cannot repair the audit log \(path): \(String(cString: strerror(errno)))")
        }
        return text
    }

    /// Where the open file is: still at ``path``, or moved away (renamed, deleted, replaced). Devices are
    /// never rotated and always count as in place.
    private func placement(of open: OpenFile) -> Placement {
        guard isRegularFile else { return .atPath }
        var atPath = stat()
        if stat(path, &atPath) == 0, UInt64(atPath.st_dev) == open.device, UInt64(atPath.st_ino) == open.inode {
            return .atPath
        }
        var info = stat()
        // An fstat that fails (it cannot, on an open descriptor) counts as unlinked: the records are not trusted.
        let linked = fstat(open.fd, &info) == 0 && info.st_nlink > 0
        return .moved(linked: linked)
    }

    /// Opens ``path`` again (creating it) in place of the open file, whatever that is: for SIGHUP and SIGUSR1
    /// after a rotation. False when it cannot be opened; the log then keeps writing to the file it has, and
    /// the next write or flush tries again.
    @discardableResult
    public func reopen(trigger: String = "reopen") -> Bool {
        flushState.withLock { _ in file.withLock { reopenLocked(&$0, trigger: trigger) } }
    }

    /// ``reopen()`` when the file is no longer the one at the path (checked every second by `serve`, so an idle
    /// server is ready again soon after a rotation, not at its next request).
    public func reopenIfMoved() {
        flushState.withLock { _ in
            file.withLock { open in
                if case .moved = placement(of: open) { _ = reopenLocked(&open, trigger: "moved") }
            }
        }
    }

    /// Replaces `open` with a new descriptor of ``path``; the caller holds `file`'s lock, and `flushState`'s
    /// unless no commit writes (``needsCommit`` false).
    private func reopenLocked(_ open: inout OpenFile, trigger: String) -> Bool {
        let created = access(path, F_OK) != 0
        let opened: (file: OpenFile, regular: Bool, repairedTail: String?)
        do {
            opened = try Self.open(path)
        } catch {
            fail("\(error)")
            logger?.error("cannot reopen the audit log; answers are refused until it can be", ["error": "\(error)"])
            return false
        }
        // A new directory entry must survive a power loss like the records in the file.
        if created { Self.syncDirectory(of: path) }
        close(open.fd)
        open = opened.file
        var fields = ["file": path, "trigger": trigger]
        if let fragment = opened.repairedTail { fields["cutIncompleteTail"] = fragment }
        logger?.info("audit log reopened", fields)
        return true
    }

    private static func syncDirectory(of path: String) {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let fd = Glibc.open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    /// After records reached the open file: makes sure they will survive at a path. When the file was moved
    /// away, the path is opened again for the next records; records in a file that no longer has any name
    /// are written again (`rewrite`) to the new one first. False when they cannot be kept.
    private func keepRecordsThroughRotation(_ open: inout OpenFile, rewrite bytes: [UInt8], sync: Bool) -> Bool {
        guard case .moved(let linked) = placement(of: open) else { return true }
        logger?.warning(
            linked
                ? "the audit log was renamed under the server; opening its path again"
                : "the audit log was deleted under the server; writing its last records again to a new file",
            ["file": path])
        guard reopenLocked(&open, trigger: linked ? "renamed" : "deleted") else { return false }
        if linked { return true }
        if let error = Self.writeAll(bytes, to: open.fd, cutBackPartial: true) {
            fail("write(2) to \(path): \(error)")
            return false
        }
        if sync {
            while fdatasync(open.fd) != 0 {
                if errno == EINTR { continue }
                fail("fdatasync(2) of \(path): \(String(cString: strerror(errno)))")
                return false
            }
        }
        return true
    }

    /// What the last failure was (`write(2) to PATH: No space left on device`), for the server log; nil when
    /// nothing has failed since the log was opened.
    public var lastFailure: String? { failure.withLock { $0 } }

    private func fail(_ description: String) { failure.withLock { $0 = description } }

    /// True when the log accepts writes (for `/readyz`): no append failed in the last 10 seconds, the
    /// descriptor is open, the file is writable and (for a regular file) still the file at ``path``, on a file
    /// system with 64 KiB free.
    public var isWritable: Bool {
        let failedAt = lastFailureTime.load(ordering: .relaxed)
        if failedAt != 0, MonotonicTime.nanoseconds &- failedAt < Self.failureHoldNanoseconds { return false }
        let open = file.withLock { open -> Bool in
            guard fcntl(open.fd, F_GETFL) >= 0 else { return false }
            guard isRegularFile else { return true }
            // A file renamed or deleted under the server is not where the records must go.
            guard case .atPath = placement(of: open) else { return false }
            var space = statvfs()
            return fstatvfs(open.fd, &space) == 0
                && UInt64(space.f_bavail) * UInt64(space.f_frsize) >= Self.minimumFreeBytes
        }
        return open && access(path, W_OK) == 0
    }

    /// Writes one record and commits it; returns false when the write (or, with ``Sync/data``, the sync)
    /// failed, and the caller then refuses the request (503) — no answer leaves without its record.
    @discardableResult
    public func append(_ record: JSONValue) -> Bool {
        guard let ticket = write(line: Self.line(record)) else { return false }
        return commit(upTo: ticket)
    }

    /// `record` as one line of the log: its JSON and `\n`.
    static func line(_ record: JSONValue) -> [UInt8] {
        var line = JSONWriter.bytes(record)
        line.append(0x0A)
        return line
    }

    /// Whether ``commit(upTo:)`` has anything to do (``Sync/data`` on a regular file).
    public var needsCommit: Bool { sync == .data && isRegularFile }

    /// Writes one complete line (ending in `\n`) and returns its ticket for ``commit(upTo:)``; nil when the
    /// write failed. With ``needsCommit`` the line is queued for the commit, which writes it; otherwise it is
    /// written now, with a single `write(2)`.
    public func write(line: [UInt8]) -> UInt64? {
        if needsCommit {
            // The ticket is taken under the queue's lock, so ticket order is the order in the file.
            return queued.withLock { queue in
                queue.append(contentsOf: line)
                return written.add(1, ordering: .relaxed).newValue
            }
        }
        let ticket: UInt64? = file.withLock { open in
            if let error = Self.writeAll(line, to: open.fd, cutBackPartial: isRegularFile) {
                fail("write(2) to \(path): \(error)")
                return nil
            }
            // Checked before the ticket is handed out, so no answer leaves for a record on a deleted file.
            guard keepRecordsThroughRotation(&open, rewrite: line, sync: false) else { return nil }
            return written.add(1, ordering: .relaxed).newValue
        }
        noteOutcome(ticket != nil)
        return ticket
    }

    /// Writes `bytes` whole; on a failure part-way (a regular file only) cuts what was written back off, so the
    /// next record starts on its own line. Returns nil, or `strerror(3)` of the failure.
    private static func writeAll(_ bytes: [UInt8], to fd: Int32, cutBackPartial: Bool) -> String? {
        bytes.withUnsafeBytes { raw -> String? in
            var offset = 0
            while offset < raw.count {
                let count = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    let error = String(cString: strerror(errno))
                    if offset > 0, cutBackPartial {
                        let end = lseek(fd, 0, SEEK_CUR)
                        if end >= off_t(offset) { _ = ftruncate(fd, end - off_t(offset)) }
                    }
                    return error
                }
                offset += count
            }
            return nil
        }
    }

    /// Makes every record up to `ticket` durable (with ``Sync/data``: one `fdatasync(2)`, unless a flush
    /// that started after the record was written already covered it); false when a flush failed, and the
    /// answers waiting for it must not leave.
    public func commit(upTo ticket: UInt64) -> Bool {
        guard needsCommit else { return true }
        if durableHint.load(ordering: .acquiring) >= ticket { return true }
        let succeeded = flushState.withLock { state -> Bool in
            if ticket <= state.failedThrough { return false }
            if state.durableThrough >= ticket { return true }
            // Every record with a ticket up to `target` is in `batch` or was written by an earlier commit.
            var batch: [UInt8] = []
            let target = queued.withLock { queue -> UInt64 in
                swap(&batch, &queue)
                return written.load(ordering: .relaxed)
            }
            // The descriptor changes only under `flushState`, which this commit holds.
            let fd = file.withLock { $0.fd }
            // Only commits write in this mode, one at a time (under `flushState`), so the file's end is the batch's.
            if !batch.isEmpty, let error = Self.writeAll(batch, to: fd, cutBackPartial: true) {
                fail("write(2) to \(path): \(error)")
                state.failedThrough = target
                return false
            }
            flushes.add(1, ordering: .relaxed)
            while fdatasync(fd) != 0 {
                if errno == EINTR { continue }
                fail("fdatasync(2) of \(path): \(String(cString: strerror(errno)))")
                state.failedThrough = target
                return false
            }
            guard file.withLock({ keepRecordsThroughRotation(&$0, rewrite: batch, sync: true) }) else {
                state.failedThrough = target
                return false
            }
            state.durableThrough = target
            durableHint.store(target, ordering: .releasing)
            return true
        }
        noteOutcome(succeeded)
        return succeeded
    }

    /// Records written (or, with ``needsCommit``, queued for the next commit) since the log was opened.
    public var recordCount: UInt64 { written.load(ordering: .relaxed) }

    /// Flushes (`fdatasync`) made since the log was opened; none with ``Sync/none``.
    public var flushCount: UInt64 { flushes.load(ordering: .relaxed) }

    private func noteOutcome(_ succeeded: Bool) {
        if succeeded {
            if lastFailureTime.load(ordering: .relaxed) != 0 { lastFailureTime.store(0, ordering: .relaxed) }
        } else {
            lastFailureTime.store(max(1, MonotonicTime.nanoseconds), ordering: .relaxed)
        }
    }
}
