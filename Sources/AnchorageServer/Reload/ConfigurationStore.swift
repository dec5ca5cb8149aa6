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
        var configuration: Configuration
        var fingerprint: String
        var lastReloadSucceeded = true
        var lastReloadError: String?
    }

    /// Loads the first generation; throws when the configuration is invalid (the server then refuses to start).
    public init(loader: ConfigurationLoader) throws(ConfigurationError) {
        let fingerprint = loader.fingerprint()
        let configuration = try loader.load(generation: 1)
        self.loader = loader
        self.state = Locked(State(configuration: configuration, fingerprint: fingerprint))
    }

    /// The generation in force.
    public var current: Configuration { state.withLock { $0.configuration } }

    /// Whether the most recent reload succeeded, and its error when it did not.
    public var lastReload: (succeeded: Bool, error: String?) {
        state.withLock { ($0.lastReloadSucceeded, $0.lastReloadError) }
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
                $0.configuration = configuration
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
