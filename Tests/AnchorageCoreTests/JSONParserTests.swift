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

    /// The writer escapes eight bytes at a time when it can; every special byte at every offset of a word, and runs
    /// of multi-byte characters, must come out as the one-byte-at-a-time rule says.
    @Test func escapingMatchesTheByteRuleAtEveryOffset() throws {
        func reference(_ text: String) -> String {
            var out = "\""
            for byte in text.utf8 {
                switch byte {
                case 0x22: out += "\\\""
                case 0x5C: out += "\\\\"
                case 0x0A: out += "\\n"
                case 0x0D: out += "\\r"
                case 0x09: out += "\\t"
                case 0..<0x20: out += "\\u00" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16)
                default: out += String(decoding: [byte], as: UTF8.self) == "\u{FFFD}" ? "" : String(UnicodeScalar(byte))
                }
            }
            return out + "\""
        }
        let specials: [Character] = ["\"", "\\", "\u{00}", "\u{01}", "\n", "\u{1F}", "\t"]
        let plain: [Character] = [" ", "a", "~", "\u{7F}", "!", "#", "[", "]"]
        for length in 0..<24 {
            for position in 0..<max(length, 1) {
                for special in specials {
                    var characters = (0..<length).map { plain[$0 % plain.count] }
                    if length > 0 { characters[position] = special }
                    let text = String(characters)
                    var out: [UInt8] = []
                    JSONByteWriter.appendQuoted(text, to: &out)
                    #expect(String(decoding: out, as: UTF8.self) == reference(text), "\(Array(text.utf8))")
                    #expect(try JSONParser.parse(out) == .string(text))
                }
            }
        }
        // Bytes of 0x80 and above pass through whole, next to an escape or not.
        for text in ["éééééééé\"x", "日本語のテキスト\n", "a😀b😀c😀d😀\\", String(repeating: "ü", count: 17)] {
            var out: [UInt8] = []
            JSONByteWriter.appendQuoted(text, to: &out)
            #expect(try JSONParser.parse(out) == .string(text))
            #expect(
                out.count == text.utf8.count + 2 + text.utf8.filter { $0 == 0x22 || $0 == 0x5C || $0 == 0x0A }.count)
        }
    }

    /// Strings without escapes are taken in one piece; ones with escapes part-way still decode, and the errors
    /// (unterminated, control byte, invalid UTF-8) are the same wherever they fall.
    @Test func stringsWithAndWithoutEscapesDecode() throws {
        #expect(try JSONParser.parse(#""plain text""#) == .string("plain text"))
        #expect(try JSONParser.parse(#""""#) == .string(""))
        #expect(try JSONParser.parse(#""before\nafter""#) == .string("before\nafter"))
        #expect(try JSONParser.parse(#""\u00e9 and é""#) == .string("é and é"))
        func failure(_ bytes: [UInt8]) -> String? {
            do {
                _ = try JSONParser.parse(bytes)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(failure(Array(#""abcd"#.utf8)) == "unterminated string at line 1, column 6 (byte 5)")
        #expect(failure(Array("\"ab\u{01}\"".utf8)) == "control character in string at line 1, column 4 (byte 3)")
        #expect(failure(Array("\"a\\nb\u{01}\"".utf8)) == "control character in string at line 1, column 6 (byte 5)")
        #expect(failure([0x22, 0x61, 0xFF, 0x22]) == "invalid UTF-8 in string at line 1, column 5 (byte 4)")
        #expect(failure([0x22, 0x5C, 0x6E, 0xFF, 0x22]) == "invalid UTF-8 in string at line 1, column 6 (byte 5)")
    }

    /// A person fixing a file looks for a line and a column: lines end at LF, columns count characters
    /// (an é is one column, two bytes), both from 1.
    @Test func syntaxErrorsGiveLineAndColumn() {
        func failure(_ text: String) -> JSONParser.Error? {
            do {
                _ = try JSONParser.parse(text)
                return nil
            } catch {
                return error
            }
        }
        let missingComma = failure("{\n  \"a\": 1\n  \"b\": 2\n}\n")
        #expect(missingComma?.line == 3 && missingComma?.column == 3, "\(String(describing: missingComma))")
        #expect(missingComma?.description == "expected ',' or '}' at line 3, column 3 (byte 13)")
        let afterAccent = failure("{\"é\": tru}")
        #expect(afterAccent?.line == 1 && afterAccent?.column == 10 && afterAccent?.offset == 10)
        let duplicate = failure("{\n\"k\": 1,\n\"k\": 2}")
        #expect(duplicate?.line == 3 && duplicate?.column == 1, "\(String(describing: duplicate))")
        let atEnd = failure("[\n1,\n")
        #expect(atEnd?.line == 3 && atEnd?.column == 1, "\(String(describing: atEnd))")
    }
}
