/// How long `serve` waits between two checks of the configuration files (the poll under inotify).
///
/// While inotify watches every directory, the poll only catches what inotify cannot see, so on a tree large
/// enough that one check is expensive it runs less often: at most about 2% of a core goes to it. Without
/// complete inotify coverage the poll is what notices changes, and it runs every second whatever it costs.
enum ReloadPollInterval {
    /// The interval on small trees, and always without complete inotify coverage.
    static let base = 1.0
    /// The longest interval, however large the tree.
    static let maximum = 10.0
    /// The share of one core the poll may take while inotify covers the tree.
    static let budget = 0.02

    /// Seconds until the next check, given how long the last one took and whether inotify watches every
    /// directory of the tree.
    static func next(afterCheckTaking seconds: Double, everyDirectoryWatched: Bool) -> Double {
        guard everyDirectoryWatched, seconds.isFinite, seconds > 0 else { return base }
        return min(maximum, max(base, seconds / budget))
    }
}
