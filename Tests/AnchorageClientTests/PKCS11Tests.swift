import AnchorageCrypto
import Testing

@testable import AnchorageClient

@Suite("PKCS#11 URIs and signature encoding")
struct PKCS11Tests {
    @Test("RFC 7512 path and query attributes are parsed and percent-decoded")
    func parsesURI() throws {
        let uri = try PKCS11URI(
            parsing: "pkcs11:token=My%20Token;object=leaf;id=%01%ff;slot-id=7;type=cert;serial=ab"
                + "?pin-source=file:/run/pin&module-path=/lib/x.so")
        #expect(uri.token == "My Token")
        #expect(uri.object == "leaf")
        #expect(uri.id == [0x01, 0xFF])
        #expect(uri.slotID == 7)
        #expect(uri.type == "cert")
        #expect(uri.serial == "ab")
        #expect(uri.pinSource == "file:/run/pin")
        #expect(uri.pinValue == nil)
        #expect(uri.modulePath == "/lib/x.so")
        #expect(try PKCS11URI(parsing: "PKCS11:object=a?pin-value=12%3B4").pinValue == "12;4")
    }

    @Test(
        "unknown, repeated, malformed or misplaced attributes are refused",
        arguments: [
            "pkcs11:colour=red", "pkcs11:object=a;object=b", "pkcs11:id=%0", "pkcs11:id=%zz", "pkcs11:slot-id=x",
            "pkcs11:object", "pkcs11:type=key", "pkcs11:pin-value=1234", "pkcs11:object=a?token=b", "file:/x",
        ])
    func refusesBadURIs(_ text: String) {
        #expect(throws: HelperError.self) { try PKCS11URI(parsing: text) }
    }

    @Test("messages never carry pin-value")
    func redactsPIN() {
        let text = PKCS11URI.redacted("pkcs11:object=a?module-path=/x.so&pin-value=secret")
        #expect(!text.contains("secret"))
        #expect(text.contains("pin-value=…") && text.contains("module-path=/x.so"))
    }

    @Test("a raw r‖s ECDSA signature becomes the DER that OpenSSL verifies")
    func rawECDSAToDER() throws {
        // Minimal integers, a leading 0x00 for a high bit, and zero-stripped halves.
        let raw: [UInt8] = [0x00, 0x00, 0x05] + [0x80, 0x01, 0x02]
        #expect(
            try PKCS11SigningKey.derECDSA(raw: raw) == [
                0x30, 0x09, 0x02, 0x01, 0x05, 0x02, 0x04, 0x00, 0x80, 0x01, 0x02,
            ])
        #expect(throws: HelperError.self) { try PKCS11SigningKey.derECDSA(raw: [1, 2, 3]) }
        #expect(throws: HelperError.self) { try PKCS11SigningKey.derECDSA(raw: []) }
        // Round trip through a real key: re-encode OpenSSL's own signature as r‖s and back.
        let key = try PrivateKey.generate(.ecP256)
        let message = Array("probe".utf8)
        let der = try key.signSHA256(message)
        var reader = DERTestReader(der)
        let integers = reader.ecdsaIntegers()
        let (r, s) = try #require(integers)
        func pad(_ value: [UInt8]) -> [UInt8] {
            let trimmed = Array(value.drop { $0 == 0 })
            return [UInt8](repeating: 0, count: 32 - trimmed.count) + trimmed
        }
        let reencoded = try PKCS11SigningKey.derECDSA(raw: pad(r) + pad(s))
        #expect(try key.publicKey.verifySHA256Signature(reencoded, over: message))
        #expect(reencoded == der)
    }
}

/// Reads `SEQUENCE { INTEGER r, INTEGER s }` (short-form lengths, as P-256 signatures have).
struct DERTestReader {
    var bytes: ArraySlice<UInt8>
    init(_ bytes: [UInt8]) { self.bytes = bytes[...] }

    mutating func ecdsaIntegers() -> ([UInt8], [UInt8])? {
        guard bytes.popFirst() == 0x30, bytes.popFirst() != nil else { return nil }
        func integer() -> [UInt8]? {
            guard bytes.popFirst() == 0x02, let length = bytes.popFirst(), bytes.count >= Int(length) else {
                return nil
            }
            defer { bytes = bytes.dropFirst(Int(length)) }
            return Array(bytes.prefix(Int(length)))
        }
        guard let r = integer(), let s = integer() else { return nil }
        return (r, s)
    }
}
