public import AnchorageCore
import Foundation

extension ConfigurationLoader {
    /// `PKI/revocations.json`, written by `anchorage revoke`; absent means nothing is revoked.
    public var revocationsFile: String { pkiDirectory + "/revocations.json" }

    /// Loads the revocations strictly (unknown keys, bad identifiers or dates and duplicate ids are
    /// issues naming the file and JSON path); an empty list when the file does not exist.
    func loadRevocations(_ issues: inout [ConfigurationIssue]) -> RevocationList {
        let file = revocationsFile
        guard FileManager.default.fileExists(atPath: file) else { return RevocationList() }
        guard let data = FileManager.default.contents(atPath: file) else {
            issues.append(ConfigurationIssue(file: file, message: "unreadable"))
            return RevocationList()
        }
        do {
            return try RevocationList(json: try JSONParser.parse([UInt8](data)))
        } catch let error as SchemaError {
            issues.append(ConfigurationIssue(file: file, path: error.path, message: error.message))
        } catch {
            issues.append(ConfigurationIssue(file: file, message: "invalid JSON: \(error)"))
        }
        return RevocationList()
    }

    /// Reads only the revocations (for `anchorage revoke`); throws with the file's issues.
    public func loadRevocationsOnly() throws(ConfigurationError) -> RevocationList {
        var issues: [ConfigurationIssue] = []
        let list = loadRevocations(&issues)
        guard issues.isEmpty else { throw ConfigurationError(issues: issues) }
        return list
    }
}
