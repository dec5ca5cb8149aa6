import AnchorageCore
import AnchorageCrypto

/// How a trust anchor's `crls/` directory holds a CRL: `NAME.pem` (or DER `NAME.crl`) is in force — every such
/// file, as contract §3.3 says — `NAME.pem.disabled` is a disabled CRL kept for re-enabling, and the optional
/// sidecar `NAME.json` carries what the API adds (`crlArn`, `name`, `createdAt`, `updatedAt`, `tags`).
///
/// Enabling or disabling is one atomic rename of the data file; a CRL with no sidecar (imported by the CLI or
/// copied in) has an ARN derived from its anchor and file name (``derivedId(anchorArn:stem:)``).
public enum CRLFiles {
    public static let dataExtensions = [".pem", ".crl"]
    public static let disabledSuffix = ".disabled"
    public static let sidecarExtension = ".json"

    /// The stem and whether it is in force, for a data file name (`root.pem` → (`root`, true),
    /// `root.pem.disabled` → (`root`, false)); nil for any other file.
    public static func dataFile(_ fileName: String) -> (stem: String, enabled: Bool)? {
        var name = Substring(fileName)
        var enabled = true
        if name.hasSuffix(disabledSuffix) {
            name = name.dropLast(disabledSuffix.count)
            enabled = false
        }
        for suffix in dataExtensions where name.hasSuffix(suffix) && name.count > suffix.count {
            return (String(name.dropLast(suffix.count)), enabled)
        }
        return nil
    }

    /// The stem of a sidecar file name (`root.json` → `root`), or nil.
    public static func sidecarStem(_ fileName: String) -> String? {
        guard fileName.hasSuffix(sidecarExtension), fileName.count > sidecarExtension.count else { return nil }
        return String(fileName.dropLast(sidecarExtension.count))
    }

    /// The id of a CRL without a sidecar: a UUID (version 8) derived from its anchor's ARN and its stem, so it is
    /// stable for as long as the file is.
    public static func derivedId(anchorArn: String, stem: String) -> String {
        IdentifierEncoding.uuidString(Digest.sha256(anchorArn + "\ncrl\n" + stem))
    }

    /// The members a sidecar may hold.
    public static let sidecarKeys: Set<String> = ResourceMetadata.keys.union(["crlArn"])
}
