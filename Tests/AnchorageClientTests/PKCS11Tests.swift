import AnchorageCrypto
import Glibc
import Testing

@testable import AnchorageClient

@Suite("PKCS#11 URIs and signature encoding")
struct PKCS11Tests {
    @Test("RFC 7512 path and query attributes are parsed and percent-decoded")
    func parsesURI() throws {
        let uri = try PKCS11URI(
            parsing: "pkcs11:token=My%20Token;object=leaf;id=%01%ff;slot-id=7;type=cert;serial=ab"
                + "?pin-source=file:/run/pin&module-path=/lib/x.so")
        #expect(uri.token == Array("My Token".utf8))
        #expect(uri.object == Array("leaf".utf8))
        #expect(uri.id == [0x01, 0xFF])
        #expect(uri.slotID == 7)
        #expect(uri.type == "cert")
        #expect(uri.serial == Array("ab".utf8))
        #expect(uri.pinSource == "file:/run/pin")
        #expect(uri.pinValue == nil)
        #expect(uri.modulePath == "/lib/x.so")
        #expect(try PKCS11URI(parsing: "PKCS11:object=a?pin-value=12%3B4").pinValue == Array("12;4".utf8))
    }

    @Test(
        "unknown, repeated, malformed or misplaced attributes are refused",
        arguments: [
            "pkcs11:colour=red", "pkcs11:object=a;object=b", "pkcs11:id=%0", "pkcs11:id=%zz", "pkcs11:slot-id=x",
            "pkcs11:object", "pkcs11:type=key", "pkcs11:pin-value=1234", "pkcs11:object=a?token=b", "file:/x",
            "pkcs11:object=a%00b", "pkcs11:token=a%00", "pkcs11:object=a?pin-source=/run/pin%00.x",
            "pkcs11:object=a?module-path=/lib/x.so%00y", "pkcs11:library-version=x", "pkcs11:library-version=1.300",
        ])
    func refusesBadURIs(_ text: String) {
        #expect(throws: HelperError.self) { try PKCS11URI(parsing: text) }
    }

    @Test("slot, library and NUL-free attributes are parsed; id and pin-value may hold any byte")
    func parsesSlotAndLibraryAttributes() throws {
        let uri = try PKCS11URI(
            parsing: "pkcs11:slot-description=S%20D;slot-manufacturer=M;library-manufacturer=L;"
                + "library-description=D;library-version=2.6;id=%00%01?pin-value=1%002")
        #expect(uri.slotDescription == Array("S D".utf8) && uri.slotManufacturer == Array("M".utf8))
        #expect(uri.libraryManufacturer == Array("L".utf8) && uri.libraryDescription == Array("D".utf8))
        #expect(uri.libraryVersion?.major == 2 && uri.libraryVersion?.minor == 6)
        #expect(try PKCS11URI(parsing: "pkcs11:library-version=3").libraryVersion?.minor == 0)
        #expect(uri.id == [0, 1])
        #expect(uri.pinValue == [0x31, 0x00, 0x32])
    }

    @Test("pin-value, id, object and token keep bytes that are not UTF-8 exactly as percent-decoded")
    func keepsRawBytes() throws {
        let uri = try PKCS11URI(parsing: "pkcs11:token=t%FE;object=o%C3;id=%FF?pin-value=1%FF2")
        #expect(uri.pinValue == [0x31, 0xFF, 0x32])
        #expect(uri.token == [0x74, 0xFE])
        #expect(uri.object == [0x6F, 0xC3])
        #expect(uri.id == [0xFF])
        // The label reaches C_FindObjectsInit as the URI's bytes, not U+FFFD's.
        let template = PKCS11KeySource.objectTemplate(PKCS11KeySource.classPrivateKey, uri)
        let label = template.first { $0.0 == PKCS11KeySource.attrLabel }.map(\.1)
        guard case .bytes(let bytes)? = label else {
            Issue.record("no CKA_LABEL in the template")
            return
        }
        #expect(bytes == [0x6F, 0xC3])
        // A path that is not UTF-8 is refused rather than altered.
        #expect(throws: HelperError.self) { try PKCS11URI(parsing: "pkcs11:object=a?module-path=/x%FF.so") }
        #expect(throws: HelperError.self) { try PKCS11URI(parsing: "pkcs11:object=a?pin-source=/p%FF") }
    }

    /// A slot whose token has `label` (blank-padded as the module reports it).
    static func slot(label: [UInt8], manufacturer: [UInt8] = Array("m".utf8)) -> PKCS11KeySource.SlotEntry {
        let padded = label + [UInt8](repeating: 0x20, count: max(0, 32 - label.count))
        return PKCS11KeySource.SlotEntry(
            id: 1,
            slot: PKCS11Module.SlotInfo(description: Array("slot".utf8), manufacturer: manufacturer),
            token: PKCS11Module.TokenInfo(
                label: PKCS11Module.unpadded(padded), manufacturer: manufacturer, model: [], serial: [], flags: 0))
    }

    @Test("token and slot attributes match byte for byte: no canonical equivalence, no lossy decoding")
    func matchesBytes() throws {
        let cafe = try PKCS11URI(parsing: "pkcs11:token=caf%C3%A9")
        #expect(PKCS11KeySource.matches(cafe, Self.slot(label: Array("caf\u{E9}".utf8))))
        // "cafe" + U+0301 COMBINING ACUTE is canonically equivalent to "café" but other bytes.
        #expect(!PKCS11KeySource.matches(cafe, Self.slot(label: Array("cafe".utf8) + [0xCC, 0x81])))
        let ff = try PKCS11URI(parsing: "pkcs11:token=a%FF")
        #expect(PKCS11KeySource.matches(ff, Self.slot(label: [0x61, 0xFF])))
        #expect(!PKCS11KeySource.matches(ff, Self.slot(label: [0x61, 0xFE])))
        // Trailing blanks are the field's padding; leading ones are part of the label.
        #expect(!PKCS11KeySource.matches(ff, Self.slot(label: [0x20, 0x61, 0xFF])))
        let maker = try PKCS11URI(parsing: "pkcs11:slot-manufacturer=%FF")
        #expect(!PKCS11KeySource.matches(maker, Self.slot(label: [], manufacturer: [0xFE])))
        #expect(PKCS11KeySource.same(nil, [0x01]) && !PKCS11KeySource.same([0xFF], [0xFE]))
    }

    @Test("a query item's text never shows in an error (it may be a PIN without its name)")
    func queryItemsNotEchoed() {
        for text in [
            "pkcs11:object=a?SECRETPIN", "pkcs11:object=a?SECRETPIN=1", "pkcs11:object=a?pin-value=1&SECRETPIN",
        ] {
            do {
                _ = try PKCS11URI(parsing: text)
                Issue.record("\(text) was accepted")
            } catch {
                #expect(error.isUsage)
                #expect(!error.message.contains("SECRETPIN"), "\(error.message)")
            }
        }
        #expect(!PKCS11URI.redacted("pkcs11:object=a?SECRETPIN&module-path=/x.so").contains("SECRETPIN"))
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

@Suite("PKCS#11 PIN files and PIN memory")
struct PKCS11PINTests {
    static func temporaryFile(_ contents: [UInt8]) throws -> String {
        var template = Array("/tmp/anchorage-pin-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        #expect(fd >= 0)
        _ = contents.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func bytes(_ pin: PINBytes) -> [UInt8] { pin.withBytes { Array($0) } }

    @Test("the PIN is the file's content less one final line break")
    func readsOneLine() throws {
        for (content, pin) in [("1234\n", "1234"), ("1234", "1234"), ("12 34\r\n", "12 34"), ("\n", "")] {
            let path = try Self.temporaryFile(Array(content.utf8))
            defer { unlink(path) }
            #expect(try Self.bytes(PINFile.read(path)) == Array(pin.utf8))
        }
    }

    @Test(
        "FIFOs, devices, files over 1 KiB, line breaks and NULs inside are refused",
        arguments: ["fifo", "/dev/zero", "big", "two lines", "nul"])
    func refuses(_ kind: String) throws {
        var path: String
        switch kind {
        case "fifo":
            path = "/tmp/anchorage-pin-fifo-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            #expect(mkfifo(path, 0o600) == 0)
        case "big": path = try Self.temporaryFile([UInt8](repeating: 0x31, count: PINFile.limit + 1))
        case "two lines": path = try Self.temporaryFile(Array("1234\n5678\n".utf8))
        case "nul": path = try Self.temporaryFile([0x31, 0, 0x32])
        default: path = kind
        }
        defer { if kind != "/dev/zero" { unlink(path) } }
        #expect(throws: HelperError.self) { try PINFile.read(path) }
    }

    @Test("a PIN taken over is zeroed in the caller's array (its own buffer, not a copy)")
    func takingZeroes() throws {
        var typed = Array("1234".utf8)
        let pin = PINBytes(taking: &typed)
        #expect(typed == [0, 0, 0, 0])
        #expect(Self.bytes(pin) == Array("1234".utf8))
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
