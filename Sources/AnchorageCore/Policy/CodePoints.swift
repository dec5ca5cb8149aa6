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
public enum CodePoints {
    /// Whether `a` and `b` are the same sequence of code points.
    public static func equal(_ a: String, _ b: String) -> Bool {
        bytesEqual(a, b) { $0 == $1 }
    }

    /// Whether `a` and `b` are the same sequence of code points once ASCII letters are folded to lowercase.
    public static func equalIgnoringASCIICase(_ a: String, _ b: String) -> Bool {
        // UTF-8 continuation and lead bytes are never in `A`–`Z`, so folding bytes never touches a
        // non-ASCII code point; ``ASCII/lowercased(_:)-(String)`` lowercases keys the same way.
        bytesEqual(a, b) { ASCII.lowercased($0) == ASCII.lowercased($1) }
    }

    /// Compares the UTF-8 bytes of `a` and `b` pairwise over their contiguous storage (native strings need no
    /// copy); `UTF8View.elementsEqual` would walk both views through the generic collection protocol instead,
    /// several times slower on the request path.
    @inline(__always) private static func bytesEqual(
        _ a: String, _ b: String, _ same: (UInt8, UInt8) -> Bool
    ) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        var a = a
        var b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in
                for i in 0..<x.count where !same(x[i], y[i]) { return false }
                return true
            }
        }
    }
}
