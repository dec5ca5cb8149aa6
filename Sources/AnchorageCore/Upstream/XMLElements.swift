/// Element lookup in small, flat XML documents (the query protocol's answers), without a parser: the
/// content of the first element of a name, and entity decoding of text.
enum XMLElements {
    /// The content between the first `<name>` (or `<name …>`) and the following `</name>`; nil when absent.
    static func first(_ name: String, in text: Substring) -> Substring? {
        let utf8 = text.utf8
        let open = Array("<\(name)".utf8)
        let close = Array("</\(name)>".utf8)
        var from = utf8.startIndex
        while let start = find(open, in: utf8[from...]) {
            let after = utf8.index(start, offsetBy: open.count)
            guard after < utf8.endIndex else { return nil }
            let next = utf8[after]
            guard next == UInt8(ascii: ">") || next == 0x20 || next == 0x09 || next == 0x0A || next == 0x0D else {
                from = after
                continue
            }
            guard let tagEnd = utf8[after...].firstIndex(of: UInt8(ascii: ">")) else { return nil }
            let contentStart = utf8.index(after: tagEnd)
            // `<name/>`: an empty element.
            if utf8[utf8.index(before: tagEnd)] == UInt8(ascii: "/") { return text[contentStart..<contentStart] }
            guard let end = find(close, in: utf8[contentStart...]) else { return nil }
            return text[contentStart..<end]
        }
        return nil
    }

    private static func find(_ needle: [UInt8], in haystack: Substring.UTF8View.SubSequence) -> String.Index? {
        guard let first = needle.first else { return haystack.startIndex }
        var index = haystack.startIndex
        while let candidate = haystack[index...].firstIndex(of: first) {
            if haystack[candidate...].starts(with: needle) { return candidate }
            index = haystack.index(after: candidate)
        }
        return nil
    }

    /// `text` with XML's five predefined entities and numeric character references replaced, and surrounding
    /// whitespace trimmed.
    static func decode(_ text: Substring) -> String {
        func isSpace(_ c: Character) -> Bool { c == " " || c == "\n" || c == "\t" || c == "\r" }
        var rest = text.drop(while: isSpace)
        while let last = rest.last, isSpace(last) { rest = rest.dropLast() }
        var out = ""
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let tail = rest[amp...]
            var replacement: String?
            var after = tail.index(after: amp)
            if let semicolon = tail.prefix(12).firstIndex(of: ";") {
                let entity = tail[tail.index(after: amp)..<semicolon]
                switch entity {
                case "amp": replacement = "&"
                case "lt": replacement = "<"
                case "gt": replacement = ">"
                case "quot": replacement = "\""
                case "apos": replacement = "'"
                default:
                    let value =
                        entity.hasPrefix("#x")
                        ? UInt32(entity.dropFirst(2), radix: 16)
                        : entity.hasPrefix("#") ? UInt32(entity.dropFirst()) : nil
                    replacement = value.flatMap(Unicode.Scalar.init).map { String(Character($0)) }
                }
                if replacement != nil { after = tail.index(after: semicolon) }
            }
            out += replacement ?? "&"
            rest = tail[after...]
        }
        out += rest
        return out
    }
}
