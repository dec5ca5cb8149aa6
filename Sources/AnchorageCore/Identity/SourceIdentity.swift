/// Derives the STS source identity IAM Roles Anywhere sets on every session.
public enum SourceIdentity {
    /// The source identity for `identity` (UG "Source identity rules"):
    /// - subject CN of at most 61 characters → `CN=<cn>`;
    /// - CN of 62–64 characters → `<cn>` (no prefix, so it still fits STS's 64-character limit);
    /// - no CN → `ID=<serial hex>` (lowercase, even length: serial 291 → `ID=0123`).
    ///
    /// Choices where the guide is silent: with several CNs the first in certificate order is used;
    /// a CN longer than 64 characters cannot fit at all, so it falls back to `ID=<serial hex>`
    /// like a certificate without CN. Lengths count Unicode scalars.
    public static func derive(from identity: CertificateIdentity) -> String {
        guard let cn = identity.subject.values(of: .commonName).first else {
            return "ID=" + identity.serialHex
        }
        switch cn.unicodeScalars.count {
        case ...61: return "CN=" + cn
        case 62...64: return cn
        default: return "ID=" + identity.serialHex
        }
    }
}
