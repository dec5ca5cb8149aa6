import AnchorageCrypto
import Testing

@testable import AnchorageClient

/// How the helper reads TPM key names, TSS2 key files and the TPM's refusals, and what its command line
/// never repeats. The TPM itself is exercised end to end (HelperTPMTests, against swtpm).
@Suite("TPM keys: handles, TSS2 emptyAuth, refusals; secrets kept out of usage errors")
struct TPMKeyTests {
    @Test(
        "handle spellings the official helper accepts (hex, optional 0x), also in upper case; the URI is normalised",
        arguments: [
            ("handle:0x81000001", 0x8100_0001), ("handle:81000001", 0x8100_0001), ("HANDLE:0X81000001", 0x8100_0001),
            ("Handle:0x810000aB", 0x8100_00AB), ("handle:0000000081000002", 0x8100_0002),
        ] as [(String, UInt32)])
    func handleSpellings(_ text: String, _ value: UInt32) {
        #expect(TPMKey.isHandle(text))
        #expect(TPMKey.persistentHandle(text) == value)
        #expect(TPMKey.handleURI(value) == "handle:0x" + String(value, radix: 16))
    }

    @Test(
        "not a persistent handle: signs, spaces, a second 0x, non-hex digits, overflow, other handle types",
        arguments: [
            "handle:", "handle:0x", "handle:+81000001", "handle:-81000001", "handle: 81000001", "handle:0x0x81000001",
            "handle:0x8100000g", "handle:0x181000001", "handle:0x01000001", "handle:0x80000001", "handle:0x81000001:",
            "handle:８１000001", "handle:0x81_000001",
        ])
    func notPersistentHandles(_ text: String) {
        #expect(TPMKey.persistentHandle(text) == nil)
    }

    @Test("the URI of a low handle keeps eight hex digits")
    func handleURIPadding() {
        #expect(TPMKey.handleURI(0x8100_0001) == "handle:0x81000001")
        #expect(TPMKey.handleURI(0x0100_0001) == "handle:0x01000001")
    }

    /// A TSS2 PRIVATE KEY PEM around `fields` (the DER after the type OID), with `type` as the OID's content.
    static func tss2(_ fields: [UInt8], type: [UInt8] = [0x67, 0x81, 0x05, 0x0A, 0x01, 0x03]) -> [UInt8] {
        let body = [0x06, UInt8(type.count)] + type + fields
        let der = [0x30, 0x81, UInt8(body.count)] + body
        return Array(PEM.encode(der, label: "TSS2 PRIVATE KEY").utf8)
    }

    /// The fields after emptyAuth: parent, public and private blobs (their contents are never read here).
    static let rest: [UInt8] = [0x02, 0x04, 0x40, 0x00, 0x00, 0x01, 0x04, 0x02, 0x00, 0x00, 0x04, 0x02, 0x00, 0x00]

    @Test("emptyAuth: TRUE (0xFF, or 0x01 as old engines wrote), FALSE, or absent (the key has a password)")
    func emptyAuth() throws {
        #expect(try PrivateKey.tss2KeyHasEmptyAuth(pemBytes: Self.tss2([0xA0, 0x03, 0x01, 0x01, 0xFF] + Self.rest)))
        #expect(try PrivateKey.tss2KeyHasEmptyAuth(pemBytes: Self.tss2([0xA0, 0x03, 0x01, 0x01, 0x01] + Self.rest)))
        #expect(try !PrivateKey.tss2KeyHasEmptyAuth(pemBytes: Self.tss2([0xA0, 0x03, 0x01, 0x01, 0x00] + Self.rest)))
        #expect(try !PrivateKey.tss2KeyHasEmptyAuth(pemBytes: Self.tss2(Self.rest)))
    }

    @Test(
        "a bad TSS2 file is a clear error, never a crash",
        arguments: [
            Array("no PEM at all".utf8),
            Array("-----BEGIN TSS2 PRIVATE KEY-----\nMAA=\n-----END TSS2 PRIVATE KEY-----\n".utf8),  // empty SEQUENCE
            Array("-----BEGIN TSS2 PRIVATE KEY-----\n!!!!\n-----END TSS2 PRIVATE KEY-----\n".utf8),
            Array("-----BEGIN TSS2 PRIVATE KEY-----\nMAA=\n".utf8),  // unterminated
            tss2([0xA0, 0x03, 0x01, 0x02, 0xFF]),  // BOOLEAN of two bytes, running past its [0]
            tss2([0xA0, 0x03, 0x02, 0x01, 0x01]),  // an INTEGER where the BOOLEAN goes
            tss2([0xA0, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]),  // a four-byte length
            tss2([0xA0, 0x82, 0xFF, 0xFF]),  // a length past the end
            tss2(rest, type: [0x67, 0x81, 0x05, 0x0A, 0x01, 0x04]),  // an importable key, not a loadable one
            Array(PEM.encode([0x30, 0x81], label: "TSS2 PRIVATE KEY").utf8),  // truncated length
            Array(PEM.encode([0x04, 0x00], label: "TSS2 PRIVATE KEY").utf8),  // not a SEQUENCE
        ])
    func badTSS2Files(_ pem: [UInt8]) {
        #expect(throws: CryptoError.self) { try PrivateKey.tss2KeyHasEmptyAuth(pemBytes: pem) }
    }

    static func signingError(_ data: String) -> CryptoError {
        CryptoError("signing failed", details: ["error:4000000F:tpm2::cannot sign: \(data)"])
    }

    @Test("the TPM's response code in the provider's error data says what the refusal means")
    func refusals() {
        let lockout = TPMKey.refusal(
            Self.signingError("2337 tpm:warn(2.0): authorizations … in DA lockout mode"), of: "k", passwordGiven: true)
        #expect(lockout.message.contains("the TPM is in dictionary-attack lockout"))
        #expect(!lockout.message.contains("wrong password for"))
        let authFail = TPMKey.refusal(
            Self.signingError("2446 tpm:session(1):the authorization HMAC check failed"), of: "k", passwordGiven: true)
        #expect(authFail.message.hasPrefix("wrong password for the TPM key k"))
        let none = TPMKey.refusal(Self.signingError("2446 tpm:session(1):…"), of: "k", passwordGiven: false)
        #expect(none.message.contains("the TPM key k has a password: pass --tpm-key-password"))
        let badAuth = TPMKey.refusal(Self.signingError("418 tpm:session(1):…"), of: "k", passwordGiven: true)  // 0x1A2
        #expect(badAuth.message.hasPrefix("wrong password for the TPM key k"))
        // A resource manager's layer (11) passes the TPM's code on; the TSS's own layers (ESYS: 7) do not.
        let viaResourceManager = TPMKey.refusal(Self.signingError("723233 rm:…"), of: "k", passwordGiven: true)
        #expect(viaResourceManager.message.contains("dictionary-attack lockout"))  // 0xB0921
        let esys = TPMKey.refusal(Self.signingError("461198 esys:…"), of: "k", passwordGiven: true)  // 0x7098E
        #expect(esys.message.contains("TPM response code 0x7098e"))
        let other = TPMKey.refusal(Self.signingError("132 tpm:…"), of: "k", passwordGiven: true)  // 0x084
        #expect(other.message.contains("TPM response code 0x84"))
        let unknown = TPMKey.refusal(
            CryptoError("signing failed", details: ["error:4080000F:tpm2::cannot sign"]), of: "k", passwordGiven: true)
        #expect(unknown.message.contains("(a wrong password, or the TPM is locked out)"))
        // Only the tpm2 provider's errors are read.
        #expect(TPMKey.responseCode(CryptoError("x", details: ["error:1:other::r: 2337 x"])) == nil)
    }

    @Test(
        "a usage error never repeats a pin-value, nor the value given to a switch",
        arguments: [
            (["pkcs11:token=tokA;object=ec?pin-value=SECRETPIN"], "pkcs11:token=tokA;object=ec?pin-value=…"),
            (
                ["--pkcs11-lib", "m.so", "pkcs11:object=ec?module-path=/m.so&PIN-VALUE=SECRETPIN"],
                "module-path=/m.so&pin-value=…"
            ),
            (["--reuse-pin", "SECRETPIN"], "--reuse-pin takes no value"),
            (["--no-tpm-key-password", "SECRETPIN"], "--no-tpm-key-password takes no value"),
            (["--no-tpm-key-password=SECRETPIN"], "--no-tpm-key-password takes no value"),
        ] as [([String], String)])
    func usageErrorsKeepSecrets(_ arguments: [String], _ shown: String) {
        do {
            _ = try CommandLineOptions(
                arguments, valueFlags: ["pkcs11-lib", "private-key"], boolFlags: ["reuse-pin", "no-tpm-key-password"])
            Issue.record("accepted \(arguments)")
        } catch {
            #expect(error.isUsage)
            #expect(!error.message.contains("SECRETPIN"), "\(error.message)")
            #expect(error.message.contains(shown), "\(error.message)")
        }
    }
}
