import AnchorageCrypto
import Glibc

/// Keys held by a TPM 2.0, as `aws_signing_helper` names them: a persistent handle (`handle:0x81000001`)
/// or a `-----BEGIN TSS2 PRIVATE KEY-----` file.
///
/// They are loaded through OpenSSL 3's store API with the tpm2 provider (Debian `tpm2-openssl`), not TSS
/// directly: the provider already parses TSS2 key files, loads keys under their parent and answers
/// authorisation, and hands back an `EVP_PKEY` that the existing signing code uses unchanged (the TPM
/// signs). Nothing TPM-related is loaded unless such a key is named. The provider finds the TPM through
/// `TPM2OPENSSL_TCTI` (default: the kernel's resource manager, then tabrmd).
public enum TPMKey {
    /// The key's authorisation value.
    public enum Password: Sendable, Equatable {
        /// `--tpm-key-password`.
        case value(String)
        /// `--no-tpm-key-password`: the key has none.
        case none
        /// Neither flag: ask on the terminal if the key needs one (TSS2 files record whether it does).
        case ask
    }

    static let tssMarker = "-----BEGIN TSS2 PRIVATE KEY-----"

    /// Whether `path` names a persistent TPM handle (`handle:…`) rather than a file.
    static func isHandle(_ path: String) -> Bool { path.lowercased().hasPrefix("handle:") }

    /// Whether a key file's bytes hold a TSS2 PEM block (in their first 4 KiB).
    static func isTSS2KeyFile(_ bytes: [UInt8]) -> Bool {
        String(decoding: bytes.prefix(4096), as: UTF8.self).contains(tssMarker)
    }

    /// The TPM key `path` names: a handle (``isHandle(_:)``) or a TSS2 key file (``isTSS2KeyFile(_:)``).
    static func load(_ path: String, password: Password) throws(HelperError) -> PrivateKey {
        var uri = path
        if path.lowercased().hasPrefix("handle:") {
            let number = path.dropFirst("handle:".count)
            guard number.lowercased().hasPrefix("0x"), let value = UInt32(number.dropFirst(2), radix: 16),
                value >> 24 == 0x81
            else {
                throw HelperError.usage("\(path.prefix(40)) is not a persistent TPM handle (handle:0x81xxxxxx)")
            }
            switch password {
            case .ask:
                throw HelperError.usage(
                    "a TPM handle does not record whether it has a password: pass --tpm-key-password or --no-tpm-key-password"
                )
            case .value: uri += "?pass"  // the provider then asks for the authorisation value
            case .none: break
            }
        }
        let provide: () -> [UInt8]? = {
            switch password {
            case .value(let text): Array(text.utf8)
            case .none: nil
            case .ask: TerminalPIN.ask("Password for the TPM key \(path): ")
            }
        }
        // The TSS libraries log TPM errors on stderr themselves; ours say what went wrong.
        setenv("TSS2_LOG", "all+NONE", 0)
        let key: PrivateKey
        do {
            key = try PrivateKey.loadFromStore(uri: uri, provider: "tpm2", password: provide)
        } catch {
            throw HelperError(
                "cannot load the TPM key \(path): \(error) (is the tpm2 provider installed, and TPM2OPENSSL_TCTI right?)"
            )
        }
        // The TPM checks the password only when it signs: sign once now, so a wrong one fails before any request.
        do {
            _ = try key.signSHA256(Array("anchorage-helper TPM key probe".utf8))
        } catch {
            throw HelperError("the TPM refused to sign with \(path) (wrong --tpm-key-password?): \(error)")
        }
        return key
    }
}
