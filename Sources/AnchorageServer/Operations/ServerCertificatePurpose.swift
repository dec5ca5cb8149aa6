import AnchorageCrypto
import Foundation

/// The check `serve` makes on its own TLS certificate at start. A certificate clients refuse for a server
/// (a workload certificate, clientAuth only) fails every handshake on the client's side with "unsuitable
/// certificate purpose", and nothing on the server's side says why: so `serve` says it, once, at start.
enum ServerCertificatePurpose {
    /// The warning for the first certificate of the PEM chain at `chainFile`, or nil when a TLS client
    /// accepts it for a server (or the file does not parse: the TLS context has refused it already).
    static func warning(chainFile: String) -> String? {
        guard let bytes = FileManager.default.contents(atPath: chainFile),
            let leaf = try? Certificate.parsePEMBundle([UInt8](bytes)).first, !leaf.isUsableForTLSServer
        else { return nil }
        return "the TLS certificate is not valid for a TLS server (no serverAuth in its extendedKeyUsage, or a "
            + "keyUsage without digitalSignature): clients will refuse it with \"unsuitable certificate purpose\". "
            + "Issue a server certificate, e.g. `anchorage pki issue --server --dns NAME …`"
    }
}
