/// Text from elsewhere (a server's error body, a header, a file name) made safe for a terminal.
///
/// An error body written to stderr as it is could carry escape sequences that retitle the terminal,
/// rewrite what is on screen or, on some terminals, answer back as typed input. Control characters
/// (C0 but tab, DEL, C1) become visible `\u{…}` escapes; newlines too unless kept.
enum TerminalText {
    static func escaped(_ text: String, keepingNewlines: Bool = false) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            let value = scalar.value
            let isControl = value < 0x20 || (0x7F...0x9F).contains(value)
            if !isControl || scalar == "\t" || (keepingNewlines && scalar == "\n") {
                out.unicodeScalars.append(scalar)
            } else {
                out += "\\u{" + String(value, radix: 16) + "}"
            }
        }
        return out
    }
}
