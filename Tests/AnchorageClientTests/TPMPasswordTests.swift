import AnchorageCrypto
import Foundation
import Testing

@testable import AnchorageClient

/// TPM key passwords live in `PINBytes` (zeroed when released), from the flag or the terminal to the
/// provider's password callback.
@Suite("TPM key passwords")
struct TPMPasswordTests {
    @Test("--tpm-key-password becomes PINBytes holding its bytes; --no-tpm-key-password none")
    func settlesIntoPINBytes() throws {
        let settled = try TPMKey.settle(.value("pa\u{E9}ss"), of: "handle:0x81000001", isHandle: true)
        let password = try #require(settled)
        #expect(password.withBytes { Array($0) } == Array("pa\u{E9}ss".utf8))
        #expect(try TPMKey.settle(.none, of: "handle:0x81000001", isHandle: true) == nil)
    }

    /// A P-256 key in an encrypted PKCS#8 PEM (PBKDF2, AES-256-CBC), password `s3cret`: the store API asks
    /// for its password through the same callback the tpm2 provider uses.
    static let encryptedKey = """
        -----BEGIN ENCRYPTED PRIVATE KEY-----
        MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAjeXOQnI+rhJAICCAAw
        DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEDNqFrY4x6nZGCQQsNkyTmIEgZA/
        3vOagsHsGP+82ErOjuaqwIssPYn4J2y5MunYzda1GE+m7MWc/C5UX9XKmtFTEVot
        0aXuu7WQlbY7mtGnRJjOx0TDowNMYAkpVGEUouVYvZngrZWaOOGClQBqZ8+YWruC
        +IEs2ubMrAL87/deHdU1jvlhn722otCt1Lxs5I5GK9ZNfqeHKANM+ugLF2DPuVk=
        -----END ENCRYPTED PRIVATE KEY-----

        """

    @Test("the store's password callback is answered from PINBytes: the right password loads the key, a wrong one not")
    func callbackReadsPINBytes() throws {
        let path = NSTemporaryDirectory() + "anchorage-encrypted-key-\(UUID().uuidString).pem"
        try Self.encryptedKey.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        func password(_ text: String) -> PINBytes {
            var bytes = Array(text.utf8)
            return PINBytes(taking: &bytes)
        }
        let right = password("s3cret")
        let key = try PrivateKey.loadFromStore(uri: path, provider: "default", password: { right })
        #expect(!(try key.signSHA256(Array("probe".utf8))).isEmpty)
        // The bytes are still the password after the call (the callback copies them; it does not take them).
        #expect(right.withBytes { Array($0) } == Array("s3cret".utf8))
        let wrong = password("s3creT")
        #expect(throws: CryptoError.self) {
            try PrivateKey.loadFromStore(uri: path, provider: "default", password: { wrong })
        }
        #expect(throws: CryptoError.self) {
            try PrivateKey.loadFromStore(uri: path, provider: "default", password: { nil })
        }
    }
}
