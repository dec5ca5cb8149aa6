import AnchorageCore
import Testing

@Suite struct JSONParserTests {
    @Test func parsesNestedDocumentKeepingMemberOrderAndNumberText() throws {
        let value = try JSONParser.parse(#"{"b": [1, 2.50, -3e2], "a": {"x": null, "y": true}, "s": "\u00e9\n"}"#)
        guard case .object(let members) = value else {
            Issue.record("not an object")
            return
        }
        #expect(members.map(\.key) == ["b", "a", "s"])
        #expect(value["b"] == .array([.number("1"), .number("2.50"), .number("-3e2")]))
        #expect(value["s"]?.stringValue == "é\n")
    }

    @Test(arguments: [
        #"{"a": 1, "a": 2}"#, "{", "[1,]", #"{"a" 1}"#, "01", "1 2", #""\x""#, "tru", "\"\u{01}\"",
        #""\ud800""#,
    ])
    func rejectsMalformedOrAmbiguousDocuments(_ text: String) {
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse(text) }
    }

    @Test func writerRoundTripsEscapes() throws {
        let value = JSONValue.object([JSONMember(key: "k", value: .string("a\"b\\c\u{01}"))])
        let text = JSONWriter.string(value)
        #expect(text == #"{"k":"a\"b\\c\u0001"}"#)
        #expect(try JSONParser.parse(text) == value)
    }
}
