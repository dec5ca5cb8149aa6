import AnchorageBasics
import Testing

@Suite struct ASCIITextTests {
    @Test func spacesAndTabsAreTrimmedAtBothEndsOnly() {
        #expect(" \t a b \t ".trimmingSpacesAndTabs() == "a b")
        #expect("a\tb".trimmingSpacesAndTabs() == "a\tb")
        #expect(" \t ".trimmingSpacesAndTabs() == "")
        #expect("".trimmingSpacesAndTabs() == "")
        #expect(Substring("  x  ").trimmingSpacesAndTabs() == "x")
        #expect(Array(Array(" ab\t".utf8)[...].trimmingSpacesAndTabs()) == Array("ab".utf8))
    }

    /// Line breaks, vertical tabs and non-ASCII spaces are not HTTP's optional whitespace.
    @Test func onlySPAndHTABAreTrimmed() {
        #expect("\r\nx\n".trimmingSpacesAndTabs() == "\r\nx\n")
        #expect("\u{0B}x\u{0C}".trimmingSpacesAndTabs() == "\u{0B}x\u{0C}")
        #expect("\u{A0}x\u{2003}".trimmingSpacesAndTabs() == "\u{A0}x\u{2003}")
    }

    /// Bytes, not grapheme clusters: a space that a combining mark follows is still a space byte.
    @Test func trimmingIsByteLevel() {
        #expect(" \u{301}x".trimmingSpacesAndTabs() == "\u{301}x")
        #expect("x\u{301} ".trimmingSpacesAndTabs() == "x\u{301}")
        #expect(" é ".trimmingSpacesAndTabs() == "é")
    }

    @Test func aCustomSetTrimsOnlyItsBytes() {
        let lineSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        #expect("\r\n a \t\n".trimming(lineSpace) == "a")
        #expect("-a-".trimming { $0 == UInt8(ascii: "-") } == "a")
        #expect("a".trimming(lineSpace) == "a")
    }

    @Test func lowercasingFoldsOnlyASCIILetters() {
        #expect(ASCII.lowercased("X-Amz-Date") == "x-amz-date")
        #expect(ASCII.lowercased("already-lower") == "already-lower")
        // Non-ASCII letters are kept: IAM and HTTP fold ASCII only.
        #expect(ASCII.lowercased("ÄÖ-İ-K") == "ÄÖ-İ-k")
        #expect(ASCII.lowercased(UInt8(ascii: "Z")) == UInt8(ascii: "z"))
        #expect(ASCII.lowercased(UInt8(ascii: "[")) == UInt8(ascii: "["))
        #expect(ASCII.lowercased(UInt8(ascii: "@")) == UInt8(ascii: "@"))
    }
}
