public import AnchorageConfig
public import AnchorageCore
import AnchorageLocking

/// The configuration being served, swapped atomically on reload.
///
/// A reload builds the new ``Configuration`` completely off-lock and swaps it in one step; a failed
/// reload leaves the previous generation serving and is reported.
public final class ConfigurationStore: Sendable {
    private let state: Locked<State>
    public let loader: ConfigurationLoader

    struct State {
        /// What the files say, and below, what is served: the files' revocations plus ``sharedRevocations``.
        var loaded: Configuration
        var configuration: Configuration
        /// Revocations published through the shared state (`--shared-state`) by other hosts.
        var sharedRevocations: [Revocation] = []
        var fingerprint: String
        var lastReloadSucceeded = true
        var lastReloadError: String?
    }

    /// Loads the first generation; throws when the configuration is invalid (the server then refuses to start).
    public init(loader: ConfigurationLoader) throws(ConfigurationError) {
        let fingerprint = loader.fingerprint()
        let configuration = try loader.load(generation: 1)
        self.loader = loader
        self.state = Locked(State(loaded: configuration, configuration: configuration, fingerprint: fingerprint))
    }

    /// The generation in force.
    public var current: Configuration { state.withLock { $0.configuration } }

    /// Whether the most recent reload succeeded, and its error when it did not.
    public var lastReload: (succeeded: Bool, error: String?) {
        state.withLock { ($0.lastReloadSucceeded, $0.lastReloadError) }
    }

    /// Serves `revocations` (from the shared state) besides the files' own, from now on and across reloads.
    /// An entry whose id or selector the files already hold is left out: the file's entry is in force.
    /// - Returns: the revocations in force before, when the set in force changed (for the audit), else nil.
    @discardableResult
    public func setSharedRevocations(_ revocations: [Revocation]) -> RevocationList? {
        state.withLock { state in
            guard state.sharedRevocations != revocations else { return nil }
            let before = state.configuration.revocations
            state.sharedRevocations = revocations
            state.configuration = Self.merging(state.loaded, revocations)
            return before.entries == state.configuration.revocations.entries ? nil : before
        }
    }

    static func merging(_ configuration: Configuration, _ shared: [Revocation]) -> Configuration {
        guard !shared.isEmpty else { return configuration }
        var merged = configuration
        let ids = Set(configuration.revocations.entries.map(\.id))
        let selectors = Set(configuration.revocations.entries.map(\.selector))
        let extra = shared.filter { !ids.contains($0.id) && !selectors.contains($0.selector) }
        merged.revocations = RevocationList(configuration.revocations.entries + extra)
        return merged
    }

    /// Reloads from disk. With `onlyIfChanged`, does nothing when no file changed since the last load.
    /// - Returns: the new generation number, or nil when nothing was reloaded.
    @discardableResult
    public func reload(onlyIfChanged: Bool = false) throws(ConfigurationError) -> Int? {
        let fingerprint = loader.fingerprint()
        let (unchanged, nextGeneration) = state.withLock {
            ($0.fingerprint == fingerprint, $0.configuration.generation + 1)
        }
        if onlyIfChanged && unchanged { return nil }
        do {
            let configuration = try loader.load(generation: nextGeneration)
            state.withLock {
                $0.loaded = configuration
                $0.configuration = Self.merging(configuration, $0.sharedRevocations)
                $0.fingerprint = fingerprint
                $0.lastReloadSucceeded = true
                $0.lastReloadError = nil
            }
            return nextGeneration
        } catch {
            state.withLock {
                // Remember the broken files so a watcher does not report the same error every second.
                $0.fingerprint = fingerprint
                $0.lastReloadSucceeded = false
                $0.lastReloadError = error.description
            }
            throw error
        }
    }
}
