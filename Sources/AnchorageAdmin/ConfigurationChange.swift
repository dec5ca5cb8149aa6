import AnchorageConfig
import AnchorageCore
import Foundation

/// The `--pki` and `--profiles` directories an admin command works on.
///
/// Changes go through ``ConfigurationEditor`` — the writer the control-plane API uses too: validated on a copy
/// with the loader `serve` and `validate` run, then made atomically under the configuration lock. Otherwise it
/// throws and nothing on disk has changed.
struct ConfigurationWorkspace {
    var pkiDirectory: String
    var profilesDirectory: String

    var editor: ConfigurationEditor {
        ConfigurationEditor(pkiDirectory: pkiDirectory, profilesDirectory: profilesDirectory)
    }

    /// Writes the real directories, durably.
    var writer: ConfigurationWriter { editor.writer }

    func path(_ root: ConfigurationChange.Root, _ relative: String) -> String { writer.path(root, relative) }

    func directory(_ root: ConfigurationChange.Root) -> String { writer.directory(root) }

    /// For the commands that only read (`list`): a directory that is not there is a mistyped path or the
    /// wrong working directory, not an empty configuration. (Commands that change it create it.)
    func requireDirectory(_ root: ConfigurationChange.Root) throws(AdminError) {
        let path = directory(root)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw AdminError(
                "\(path) is not a directory: no configuration to list there "
                    + "(give --\(root == .pki ? "pki" : "profiles") DIR, or run where it is)")
        }
    }

    /// Loads the configuration as it is on disk.
    func load() throws(AdminError) -> Configuration {
        do {
            return try ConfigurationLoader(pkiDirectory: pkiDirectory, profilesDirectory: profilesDirectory)
                .load(generation: 1)
        } catch {
            throw AdminError(
                "the configuration in \(pkiDirectory) and \(profilesDirectory) does not load",
                details: error.issues.map { "error: \($0)" })
        }
    }

    /// Validates `change` on a copy of the configuration, then applies it. Returns the new configuration.
    @discardableResult
    func apply(_ change: ConfigurationChange) throws(AdminError) -> Configuration {
        try apply { () throws(AdminError) in change }!
    }

    /// Read-modify-write: calls `makeChange` holding the configuration lock, so what it reads cannot change
    /// before its change is made (a concurrent CLI run or API call waits). A nil change writes nothing.
    @discardableResult
    func apply(_ makeChange: () throws(AdminError) -> ConfigurationChange?) throws(AdminError) -> Configuration? {
        var failure: AdminError?
        let configuration: Configuration?
        do throws(ConfigurationChangeError) {
            configuration = try editor.withLock { () throws(ConfigurationChangeError) -> Configuration? in
                let change: ConfigurationChange?
                do throws(AdminError) {
                    change = try makeChange()
                } catch {
                    failure = error
                    return nil
                }
                guard let change else { return nil }
                return try editor.applyLocked(change)
            }
        } catch {
            throw AdminError(error.message, details: error.issues.map { "error: \($0)" })
        }
        if let failure { throw failure }
        return configuration
    }
}
