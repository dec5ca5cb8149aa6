import AnchorageCrypto
import Testing

@Suite struct DigestTests {
    @Test func sha256MatchesFIPS180VectorsWhateverTheCollection() {
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        #expect(Digest.sha256Hex(Array("abc".utf8)) == abc)
        #expect(Digest.sha256Hex(Array("xabcx".utf8)[1..<4]) == abc)  // a slice not starting at 0
        #expect(Digest.sha256Hex("cba".utf8.reversed()) == abc)  // no contiguous storage
        #expect(Digest.sha256Hex("abc") == abc)
        #expect(
            Digest.sha256Hex([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func sha256OfEmptyInputIsTheWellKnownConstant() {
        #expect(Digest.sha256Hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func hmacMatchesRFC4231Case2() {
        let mac = HMAC.sha256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(Hex.encode(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func hexRoundTripsAndRejectsOddLength() {
        #expect(Hex.decode("00ff10") == [0, 255, 16])
        #expect(Hex.decode("ABC") == nil)
        #expect(Hex.decode("zz") == nil)
    }

    @Test func constantTimeEqualityComparesContentAndLength() {
        #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equals([1, 2], [1, 2, 3]))
    }
}
