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
public final class AuditLog: Sendable {
    /// What `append` waits for before the answer may leave.
    public enum Sync: String, Sendable {
        /// The kernel's page cache: survives a crash of the process, not of the machine.
        case none
        /// `fdatasync(2)` after every record: survives a power loss.
        case data
    }

    private let descriptor: Locked<Int32>
    /// Records queued for the next commit (``needsCommit`` only), in ticket order.
    private let queued = Locked<[UInt8]>([])
    /// Tickets: the number of the last record written or queued, taken under the lock that orders the records
    /// (`queued`'s with ``needsCommit``, `descriptor`'s otherwise).
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
    private let lastFailure = Atomic<UInt64>(0)
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

    private struct FlushState {
        /// Every record up to this ticket is on disk.
        var durableThrough: UInt64 = 0
        /// A flush failed while records up to this ticket were written: they count as lost even if a
        /// later flush succeeds, because after a failed `fdatasync` Linux may drop the dirty pages and
        /// report the next flush clean.
        var failedThrough: UInt64 = 0
    }

    /// Opens (creating with mode 0600) the log at `path`.
    public init(path: String, sync: Sync = .data) throws {
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw ServeError("cannot open the audit log \(path): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        let regular = fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
        var repaired: String?
        if regular, info.st_size > 0 {
            do {
                repaired = try Self.cutTornTail(fd, size: Int(info.st_size), path: path)
            } catch {
                close(fd)
                throw error
            }
        }
        self.path = path
        self.sync = sync
        self.isRegularFile = regular
        self.repairedTail = repaired
        self.descriptor = Locked(fd)
    }

    deinit { descriptor.withLock { _ = close($0) } }

    /// When the file does not end with a newline, the bytes after the last newline are the start of a
    /// record whose write was interrupted (its answer was never sent): cut them off and return them.
    private static func cutTornTail(_ fd: Int32, size: Int, path: String) throws -> String? {
        var last: UInt8 = 0
        guard pread(fd, &last, 1, off_t(size - 1)) == 1 else {
            throw ServeError("cannot read the audit log \(path): \(String(cString: strerror(errno)))")
        }
        if last == 0x0A { return nil }
        // Records are small; look back at most 1 MiB for the previous newline.
        let window = min(size, 1 << 20)
        var bytes = [UInt8](repeating: 0, count: window)
        let read = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, window, off_t(size - window)) }
        guard read == window else {
            throw ServeError("cannot read the audit log \(path): \(String(cString: strerror(errno)))")
        }
        let keep = bytes.lastIndex(of: 0x0A).map { size - window + $0 + 1 } ?? (window == size ? 0 : size - window)
        let fragment = String(decoding: bytes[(keep - (size - window))...], as: UTF8.self)
        guard ftruncate(fd, off_t(keep)) == 0, fsync(fd) == 0 else {
            throw ServeError("cannot repair the audit log \(path): \(String(cString: strerror(errno)))")
        }
        return fragment
    }

    /// True when the log accepts writes (for `/readyz`): no append failed in the last 10 seconds, the
    /// descriptor is open, the file is writable and (for a regular file) its file system has 64 KiB free.
    public var isWritable: Bool {
        let failedAt = lastFailure.load(ordering: .relaxed)
        if failedAt != 0, Self.monotonicNanoseconds() &- failedAt < Self.failureHoldNanoseconds { return false }
        let open = descriptor.withLock { fd -> Bool in
            guard fcntl(fd, F_GETFL) >= 0 else { return false }
            guard isRegularFile else { return true }
            var space = statvfs()
            return fstatvfs(fd, &space) == 0 && UInt64(space.f_bavail) * UInt64(space.f_frsize) >= Self.minimumFreeBytes
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
        let ticket: UInt64? = descriptor.withLock { fd in
            Self.writeAll(line, to: fd, cutBackPartial: isRegularFile)
                ? written.add(1, ordering: .relaxed).newValue : nil
        }
        noteOutcome(ticket != nil)
        return ticket
    }

    /// Writes `bytes` whole; on a failure part-way (a regular file only) cuts what was written back off, so the
    /// next record starts on its own line.
    private static func writeAll(_ bytes: [UInt8], to fd: Int32, cutBackPartial: Bool) -> Bool {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let count = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    if offset > 0, cutBackPartial {
                        let end = lseek(fd, 0, SEEK_CUR)
                        if end >= off_t(offset) { _ = ftruncate(fd, end - off_t(offset)) }
                    }
                    return false
                }
                offset += count
            }
            return true
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
            let fd = descriptor.withLock { $0 }
            // Only commits write in this mode, one at a time (under `flushState`), so the file's end is the batch's.
            if !batch.isEmpty, !Self.writeAll(batch, to: fd, cutBackPartial: true) {
                state.failedThrough = target
                return false
            }
            flushes.add(1, ordering: .relaxed)
            while fdatasync(fd) != 0 {
                if errno == EINTR { continue }
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
            if lastFailure.load(ordering: .relaxed) != 0 { lastFailure.store(0, ordering: .relaxed) }
        } else {
            lastFailure.store(max(1, Self.monotonicNanoseconds()), ordering: .relaxed)
        }
    }

    static func monotonicNanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}
