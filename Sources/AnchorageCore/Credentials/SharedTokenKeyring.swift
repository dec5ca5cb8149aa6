import AnchorageLocking

/// A token keyring that can be replaced while requests use it: `serve` swaps in the keyring file's new
/// content on SIGHUP or when the file changes (key rotation without a restart). CreateSession and STS
/// share one instance, so a key added is used for sealing, and a key removed stops opening, at the same moment.
public final class SharedTokenKeyring: Sendable {
    private let state: Locked<TokenKeyring>

    public init(_ keyring: TokenKeyring) { state = Locked(keyring) }

    /// The keyring in force.
    public var current: TokenKeyring { state.withLock { $0 } }

    /// Replaces the keyring; requests that already read ``current`` finish with the previous one.
    public func replace(with keyring: TokenKeyring) { state.withLock { $0 = keyring } }
}
