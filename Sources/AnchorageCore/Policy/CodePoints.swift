import AnchorageBasics

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
        // UTF-8 continuation and lead bytes are never in `A`–`Z`, so folding bytes never touches a
        // non-ASCII code point; ``ASCII/lowercased(_:)-(String)`` lowercases keys the same way.
        a.utf8.elementsEqual(b.utf8) { ASCII.lowercased($0) == ASCII.lowercased($1) }
    }
}
