import Foundation
import Testing

@testable import AnchorageCrypto

/// Unencrypted PKCS#8 keys take a decoder for their own type; everything else takes `PEM_read_bio_PrivateKey`.
@Suite struct PrivateKeyPEMTests {
    static let algorithms: [PrivateKey.Algorithm] = [.ecP256, .ecP384, .rsa(bits: 2048)]

    @Test(arguments: algorithms)
    func pkcs8KeysDecodeByTheirTypeToTheSameKey(algorithm: PrivateKey.Algorithm) throws {
        let original = try PrivateKey.generate(algorithm)
        let pem = try original.pkcs8PEM
        #expect(PrivateKey.decodeUnencryptedPKCS8(pem) != nil)
        let read = try PrivateKey(pemBytes: pem)
        let publicKey = try original.publicKey
        #expect(read.matches(publicKey))
        let message = Array("anchorage".utf8)
        #expect(
            publicKey.verify(try read.sign(message, digestName: "SHA256"), over: message, digestName: "SHA256")
        )
    }

    @Test func otherTextsTakeTheGeneralReader() throws {
        let key = try PrivateKey.generate(.ecP256)
        let pem = try key.pkcs8PEM
        let certificateFirst = Array("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".utf8) + pem
        #expect(PrivateKey.decodeUnencryptedPKCS8(certificateFirst) == nil)
        #expect(PrivateKey.decodeUnencryptedPKCS8(Array("no key here".utf8)) == nil)
        var corrupt = pem
        corrupt[40] = corrupt[40] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(PrivateKey.decodeUnencryptedPKCS8(corrupt) == nil)
        #expect(throws: CryptoError.self) { try PrivateKey(pemBytes: corrupt) }
        #expect(throws: CryptoError.self) { try PrivateKey(pemBytes: Array("no key here".utf8)) }
    }
}
