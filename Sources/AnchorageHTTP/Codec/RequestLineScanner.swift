/// Checks the request line byte by byte as it arrives, so that bytes which cannot be the start of an HTTP/1.x
/// request (a NUL, a TLS record sent inside TLS, binary junk) are refused at the first impossible byte instead
/// of holding the connection until the header deadline.
///
/// It accepts exactly the prefixes of what ``HTTPRequestParser`` parses as a request line —
/// `token SP 1*VCHAR SP "HTTP/" DIGIT "." DIGIT [CR] LF` — and the empty lines RFC 9112 §2.2 lets precede it.
/// A well-formed but unsupported version (`HTTP/2.0`) passes here and is answered 505 once the head is complete.
struct RequestLineScanner {
    private enum Position: Equatable {
        /// In the method; `count` bytes so far (0: also where an empty line may be).
        case method(count: Int)
        /// A CR of an empty line before the request line.
        case emptyLineCR
        case target(count: Int)
        /// In the HTTP version; `count` of its 8 bytes so far.
        case version(count: Int)
        /// The CR after the version.
        case endCR
    }

    private var position = Position.method(count: 0)

    /// Starts over, for the next request's line.
    mutating func reset() { position = .method(count: 0) }

    /// Takes the next byte of the request line (its LF included); nil while the bytes so far can still begin a
    /// request, or why they cannot.
    mutating func take(_ byte: UInt8) -> String? {
        switch position {
        case .method(let count):
            if byte.isTokenChar {
                position = .method(count: count + 1)
            } else if byte == .space, count > 0 {
                position = .target(count: 0)
            } else if count == 0, byte == .lf {
                return nil  // an empty line before the request line: the parser skips it
            } else if count == 0, byte == .cr {
                position = .emptyLineCR
            } else {
                return count == 0 ? "the request does not start with a method" : "invalid character in the method"
            }
        case .emptyLineCR:
            guard byte == .lf else { return "CR without LF before the request line" }
            position = .method(count: 0)
        case .target(let count):
            if (0x21...0x7E).contains(byte) {
                position = .target(count: count + 1)
            } else if byte == .space, count > 0 {
                position = .version(count: 0)
            } else {
                return "invalid request target"
            }
        case .version(let count):
            let valid: Bool
            switch count {
            case 0..<5: valid = byte == Self.httpSlash[count]
            case 5, 7: valid = byte.isDigit
            case 6: valid = byte == UInt8(ascii: ".")
            default: valid = byte == .lf || byte == .cr
            }
            guard valid else { return "invalid HTTP version" }
            position = count < 8 ? .version(count: count + 1) : (byte == .cr ? .endCR : .method(count: 0))
        case .endCR:
            guard byte == .lf else { return "CR without LF after the HTTP version" }
            position = .method(count: 0)
        }
        return nil
    }

    private static let httpSlash = Array("HTTP/".utf8)
}
