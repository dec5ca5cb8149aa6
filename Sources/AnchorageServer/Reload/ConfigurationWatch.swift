import AnchorageConfig
import AnchorageLocking
import Dispatch
import Foundation

/// Wakes the configuration reload as soon as something changes under `PKI/` or `Profiles/` (inotify),
/// instead of at the next check of the poll (every second, or less often on large trees: ReloadPollInterval).
///
/// The poll stays: it is what sees an edit to the target of a symlinked file kept outside the watched
/// directories when that target's directory cannot be watched, a network file system, and anything
/// after the kernel's watch limit. Every directory below the roots is watched (symlinked directories
/// too, each once), and so is the directory holding the target of each symlinked file; the set is
/// renewed after every batch of events, so a new trust anchor's directory is watched from then on.
final class ConfigurationWatch: Sendable {
    /// Events that can mean a configuration file was written, replaced, moved or removed.
    private static let mask =
        UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO) | UInt32(IN_MOVED_FROM) | UInt32(IN_CREATE)
        | UInt32(IN_DELETE) | UInt32(IN_ATTRIB) | UInt32(IN_MODIFY) | UInt32(IN_DELETE_SELF) | UInt32(IN_MOVE_SELF)

    /// How long after the first event of a batch the reload runs: an admin command replaces several files in
    /// a row, and one reload after the last of them is what is wanted.
    static let settleSeconds = 0.05

    private let descriptor: Int32
    private let roots: [String]
    private let queue: DispatchQueue
    private let changed: @Sendable () -> Void
    private let source: Locked<(any DispatchSourceRead)?> = Locked(nil)
    private let pending = Locked(false)
    private let allWatched = Locked(false)

    /// Whether the last renewal of the watch set covered every directory (no `inotify_add_watch` failed,
    /// for instance at the kernel's watch limit), so that inotify alone sees every change on a local file system.
    var watchesEveryDirectory: Bool { allWatched.withLock { $0 } }

    /// Watches `roots` and calls `changed` on `queue` after each batch of events; nil when inotify is unavailable
    /// (then the poll alone notices changes).
    init?(roots: [String], queue: DispatchQueue, changed: @escaping @Sendable () -> Void) {
        let descriptor = inotify_init1(Int32(O_NONBLOCK | O_CLOEXEC))
        guard descriptor >= 0 else { return nil }
        self.descriptor = descriptor
        self.roots = roots
        self.queue = queue
        self.changed = changed
        addWatches()
        let source = DispatchSource.makeReadSource(fileDescriptor: descriptor, queue: queue)
        source.setEventHandler { [weak self] in self?.drain() }
        source.setCancelHandler { close(descriptor) }
        self.source.withLock { $0 = source }
        source.resume()
    }

    /// Stops watching and closes the inotify descriptor.
    func cancel() {
        source.withLock {
            $0?.cancel()
            $0 = nil
        }
    }

    private func drain() {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var sawEvents = false
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                sawEvents = true
                continue
            }
            if count < 0 && errno == EINTR { continue }
            break
        }
        guard sawEvents,
            pending.withLock({ (pending: inout Bool) -> Bool in
                defer { pending = true }
                return !pending
            })
        else { return }
        queue.asyncAfter(deadline: .now() + Self.settleSeconds) { [weak self] in
            guard let self else { return }
            self.pending.withLock { $0 = false }
            self.addWatches()
            self.changed()
        }
    }

    /// Watches every directory ``ConfigurationTree/watchedDirectories(_:)`` names. Adding an existing watch
    /// again only refreshes it, so this is safe to repeat.
    private func addWatches() {
        var every = true
        for directory in ConfigurationTree.watchedDirectories(roots)
        where inotify_add_watch(descriptor, directory, Self.mask) < 0 {
            every = false
        }
        allWatched.withLock { $0 = every }
    }
}
