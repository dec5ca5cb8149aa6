import AnchorageCrypto
import AnchorageLocking
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

    /// Whether `path` names a TPM handle (`handle:…`, in any case) rather than a file.
    static func isHandle(_ path: String) -> Bool { path.lowercased().hasPrefix("handle:") }

    /// The persistent handle `path` names, read as the official helper reads it: `handle:` then hexadecimal
    /// with an optional `0x` (Go's `strconv.ParseUint(…, 16, 32)`: digits only, no sign, leading zeros allowed).
    /// Also accepted, unlike there: `HANDLE:` and `0X`. Nil for anything else, and for a handle outside the
    /// persistent range 0x81xxxxxx (the only keys that outlive a TPM connection).
    static func persistentHandle(_ path: String) -> UInt32? {
        guard isHandle(path) else { return nil }
        var digits = path.utf8.dropFirst("handle:".utf8.count)
        if digits.count > 2, digits.prefix(2).elementsEqual("0x".utf8) || digits.prefix(2).elementsEqual("0X".utf8) {
            digits = digits.dropFirst(2)
        }
        let isHexDigit: (UInt8) -> Bool = {
            (0x30...0x39).contains($0) || (0x41...0x46).contains($0) || (0x61...0x66).contains($0)
        }
        guard !digits.isEmpty, digits.allSatisfy(isHexDigit),
            let value = UInt32(String(decoding: digits, as: UTF8.self), radix: 16), value >> 24 == 0x81
        else { return nil }
        return value
    }

    /// The tpm2 provider's URI for `handle`: `handle:0x81000001`, whatever spelling named it.
    static func handleURI(_ handle: UInt32) -> String {
        let hex = String(handle, radix: 16)
        return "handle:0x" + String(repeating: "0", count: max(0, 8 - hex.count)) + hex
    }

    /// Whether a key file's bytes hold a TSS2 PEM block (in their first 4 KiB).
    static func isTSS2KeyFile(_ bytes: [UInt8]) -> Bool {
        String(decoding: bytes.prefix(4096), as: UTF8.self).contains(tssMarker)
    }

    /// The TPM key `path` names: a handle (``isHandle(_:)``) or a TSS2 key file (``isTSS2KeyFile(_:)``).
    ///
    /// The password is settled before the TPM is asked for anything: a handle records nothing about it, so
    /// without either flag it is asked for on the terminal, as the official helper does; a TSS2 file records
    /// whether its key has one (`emptyAuth`), and a flag that contradicts the file is an error.
    static func load(_ path: String, password: Password) throws(HelperError) -> PrivateKey {
        let uri: String
        // Zeroed when the last reference goes: after the load and probe, unless kept in `typedPasswords`.
        let secret: PINBytes?
        if isHandle(path) {
            guard let handle = persistentHandle(path) else {
                throw HelperError.usage(
                    "\(path.prefix(40)) is not a persistent TPM handle (handle:0x81xxxxxx)")
            }
            secret = try settle(password, of: path, isHandle: true)
            uri = handleURI(handle) + (secret == nil ? "" : "?pass")  // with ?pass the provider asks for it
        } else {
            let emptyAuth: Bool
            do {
                emptyAuth = try PrivateKey.tss2KeyHasEmptyAuth(pemBytes: try readFile(path, what: "TPM key"))
            } catch let error as HelperError {
                throw error
            } catch {
                throw HelperError("\(path) is not a usable TSS2 PRIVATE KEY file: \(error)")
            }
            switch (emptyAuth, password) {
            case (true, .value(let text)) where !text.isEmpty:  // an empty one counts as none, as in the official helper
                throw HelperError(
                    "--tpm-key-password is given but the TPM key file \(path) records that its key has no password")
            case (true, _):
                secret = nil
            case (false, .none):
                throw HelperError(
                    "--no-tpm-key-password is given but the TPM key file \(path) records that its key has a password: pass --tpm-key-password, or neither flag to type it"
                )
            case (false, _):
                secret = try settle(password, of: path, isHandle: false)
            }
            uri = path
        }
        // The TSS libraries log TPM errors on stderr themselves; ours say what went wrong.
        setenv("TSS2_LOG", "all+NONE", 0)
        let key: PrivateKey
        do {
            key = try PrivateKey.loadFromStore(uri: uri, provider: "tpm2", password: { secret })
        } catch {
            throw HelperError(
                "cannot load the TPM key \(path): \(error) (is the tpm2 provider installed, and TPM2OPENSSL_TCTI right?)"
            )
        }
        // The TPM checks the password only when it signs: sign once now, so a wrong one fails before any request.
        do {
            _ = try key.signSHA256(Array("anchorage-helper TPM key probe".utf8))
        } catch {
            throw refusal(error, of: path, passwordGiven: secret != nil)
        }
        if case .ask = password, let secret { typedPasswords.withLock { $0[path] = secret } }
        return key
    }

    /// Passwords typed at the terminal that the TPM accepted, by key name. `update` and `serve` load the key
    /// again for every refresh; the password is asked for once per process, as the official helper's signer
    /// keeps it.
    private static let typedPasswords = Locked<[String: PINBytes]>([:])

    /// The password to offer for `path`: nil for none. Asked for on the terminal when no flag gave it.
    static func settle(_ password: Password, of path: String, isHandle: Bool) throws(HelperError) -> PINBytes? {
        switch password {
        case .value(let text):
            var bytes = Array(text.utf8)
            return PINBytes(taking: &bytes)
        case .none: return nil
        case .ask:
            if let typed = typedPasswords.withLock({ $0[path] }) { return typed }
            guard var typed = TerminalPIN.ask("Password for the TPM key \(TerminalText.escaped(path)): ") else {
                throw HelperError(
                    "the TPM key \(path) \(isHandle ? "may need" : "needs") a password and none was typed (no terminal, or its input ended): pass --tpm-key-password"
                        + (isHandle ? ", or --no-tpm-key-password if it has none" : ""))
            }
            return PINBytes(taking: &typed)
        }
    }

    /// The TPM's own response code (TPM 2.0 Part 2, 6.6) in what the TSS reports: its layer (bits 16-23) is
    /// the TPM's (0) or the resource manager's that passes the TPM's on (11); nil for the TSS's own errors.
    static func tpmCode(_ code: UInt32) -> UInt32? { [0, 11].contains(code >> 16) ? code & 0xFFFF : nil }

    /// TPM_RC_LOCKOUT: a warning, not an answer about the password.
    static let lockoutCode: UInt32 = 0x921

    /// Whether the TPM's `code` is a format-one TPM_RC_AUTH_FAIL (0x08E) or TPM_RC_BAD_AUTH (0x0A2), whichever
    /// session it names: the authorisation value was wrong.
    static func isWrongPassword(_ code: UInt32) -> Bool { code & 0x80 != 0 && [0x0E, 0x22].contains(code & 0x3F) }

    /// The TPM response code the tpm2 provider left in OpenSSL's error data ("2337 tpm:warn(2.0): …"), if any.
    static func responseCode(_ error: any Error) -> UInt32? {
        guard let error = error as? CryptoError else { return nil }
        for detail in error.details where detail.contains(":tpm2:") {
            // `error:CODE:LIB:FUNC:REASON: DATA`: the data follows the fifth colon.
            let fields = detail.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
            guard fields.count == 6 else { continue }
            let digits = fields[5].drop { $0 == " " }.prefix { $0.isASCII && $0.isNumber }
            if let code = UInt32(digits) { return code }
        }
        return nil
    }

    /// What the TPM's refusal to sign means, as far as its response code tells.
    static func refusal(_ error: any Error, of path: String, passwordGiven: Bool) -> HelperError {
        switch responseCode(error) {
        case let code? where tpmCode(code) == lockoutCode:
            return HelperError(
                "the TPM refused to sign with \(path): the TPM is in dictionary-attack lockout after too many wrong passwords (wait for it to recover, or clear it with tpm2_dictionarylockout --clear-lockout)"
            )
        case let code? where tpmCode(code).map(isWrongPassword) == true:
            return HelperError(
                passwordGiven
                    ? "wrong password for the TPM key \(path): the TPM refused it (each wrong one counts towards its dictionary-attack lockout)"
                    : "the TPM key \(path) has a password: pass --tpm-key-password, or neither password flag to type it"
            )
        case let code?:
            return HelperError(
                "the TPM refused to sign with \(path) (TPM response code 0x\(String(code, radix: 16))): \(error)")
        case nil:
            return HelperError(
                "the TPM refused to sign with \(path) (a wrong password, or the TPM is locked out): \(error)")
        }
    }
}
