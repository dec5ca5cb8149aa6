/// String comparison as IAM does it: by Unicode code point, never by canonical equivalence.
///
/// Swift's `==` on `String` treats canonically equivalent strings as equal (`"\u{212B}"` ANGSTROM SIGN
/// equals `"\u{C5}"`, conjoining jamo equal the precomposed syllable), and `lowercased()` applies full
/// Unicode case mapping (`"\u{212A}"` KELVIN SIGN lowercases to ASCII `k`). Either would let a certificate
/// whose subject only *looks like* a policy value satisfy it. Every string comparison of the policy
/// engine goes through here instead.
///
/// Swift strings are valid UTF-8, and UTF-8 maps code point sequences one-to-one to byte sequences, so
/// comparing the bytes is comparing the code points.
///
/// Case-insensitive comparison (the `…IgnoreCase` operators, action names, condition key names) folds
/// ASCII letters only: `A`–`Z` equal `a`–`z`, and every other code point equals only itself. That is
/// the choice that cannot be surprised by a look-alike: no non-ASCII character folds onto an ASCII one.
enum CodePoints {
    /// Whether `a` and `b` are the same sequence of code points.
    static func equal(_ a: String, _ b: String) -> Bool {
        a.utf8.elementsEqual(b.utf8)
    }

    /// Whether `a` and `b` are the same sequence of code points once ASCII letters are folded to lowercase.
    static func equalIgnoringASCIICase(_ a: String, _ b: String) -> Bool {
        a.utf8.elementsEqual(b.utf8) { foldASCII($0) == foldASCII($1) }
    }

    /// `string` with ASCII letters lowercased and every other code point unchanged.
    static func asciiLowercased(_ string: String) -> String {
        guard string.utf8.contains(where: isASCIIUppercase) else { return string }
        return String(decoding: string.utf8.map(foldASCII), as: UTF8.self)
    }

    /// An ASCII uppercase letter's lowercase byte; any other byte unchanged (UTF-8 continuation and lead
    /// bytes are never in `A`–`Z`, so folding bytes never touches a non-ASCII code point).
    @inline(__always) static func foldASCII(_ byte: UInt8) -> UInt8 {
        isASCIIUppercase(byte) ? byte | 0x20 : byte
    }

    @inline(__always) private static func isASCIIUppercase(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")
    }
}
