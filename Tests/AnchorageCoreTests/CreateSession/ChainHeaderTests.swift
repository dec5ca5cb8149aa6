import AnchorageBasics
import Testing

@testable import AnchorageCore

/// `X-Amz-X509-Chain` is split and trimmed as bytes; these pin the result to what the `Character`
/// split and trim it replaced give, including for input that is not ASCII.
@Suite struct ChainHeaderTests {
    /// The `Character`-based split and trim the byte version replaced.
    private func reference(_ text: String) -> [String] {
        text.split(separator: ",", omittingEmptySubsequences: false).map { part in
            var part = Substring(part)
            while let first = part.first, first == " " || first == "\t" { part.removeFirst() }
            while let last = part.last, last == " " || last == "\t" { part.removeLast() }
            return String(part)
        }
    }

    @Test(arguments: [
        "", "A", "AAAA,BBBB", " AAAA , BBBB ", "\tAAAA\t,\t\tBBBB", "AAAA,,BBBB", ",", ",,", " , ",
        "AAAA==,BBB=,CC==", "  ", "A B,C\tD", "é,ü", " é , ü ", "日本,語",
    ])
    func splitsAndTrimsLikeTheCharacterVersion(_ text: String) {
        #expect(CreateSessionService.chainParts(text) == reference(text))
    }

    @Test func keepsEmptyElementsSoTheyAreRefusedAsMalformed() {
        #expect(CreateSessionService.chainParts("AAAA, ,BBBB") == ["AAAA", "", "BBBB"])
        #expect(CreateSessionService.chainParts("AAAA,") == ["AAAA", ""])
    }

    @Test(arguments: ["", " ", "\t", "x", " x", "x ", "\tx\t", " \t x \t ", "a b", "é ", " é", "  ü  "])
    func trimmingSkipsOnlySpacesAndTabs(_ text: String) {
        var expected = Substring(text)
        while let first = expected.first, first == " " || first == "\t" { expected.removeFirst() }
        while let last = expected.last, last == " " || last == "\t" { expected.removeLast() }
        #expect(text.trimmingSpacesAndTabs() == String(expected))
    }
}
