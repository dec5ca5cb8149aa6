/// One change to the configuration directories: the file operations of one admin command or one control-plane
/// call, validated together (``ConfigurationEditor``) and applied in order.
///
/// Operations are ordered so that a crash between two of them leaves a configuration that loads (a CRL's data
/// before its metadata sidecar; a sidecar removed before its data).
public struct ConfigurationChange: Sendable {
    public typealias Root = ConfigurationWriter.Root

    public enum Operation: Sendable {
        /// Creates or replaces one file (made by ``ConfigurationWriter``).
        case writeFile(ConfigurationWriter.File)
        /// Creates a new directory with its files (a trust anchor's, from ``ConfigurationWriter``).
        case addDirectory(Root, String, [(name: String, bytes: [UInt8])])
        case removeFile(Root, String)
        case removeDirectory(Root, String)
        /// Renames one file in place (a CRL's data file in and out of force), atomically.
        case renameFile(Root, from: String, to: String)
    }

    /// What the change does, for messages ("add trust anchor web-ca").
    public var summary: String
    public var operations: [Operation]

    public init(summary: String, operation: Operation) {
        self.summary = summary
        self.operations = [operation]
    }

    public init(summary: String, operations: [Operation]) {
        self.summary = summary
        self.operations = operations
    }
}
