import AnchorageBasics

/// IAM wildcard matching: `*` matches any run of code points (including none), `?` exactly one.
///
/// IAM has no escape character, so a literal `*` or `?` in a pattern is always a wildcard; a
/// policy cannot require a value to contain a literal asterisk.
///
/// One matcher over UTF-8 bytes for every input: literal bytes compare as ``CodePoints`` does (by code
/// point, ASCII letters folded when `ignoringCase`), and `?` consumes one whole code point (its lead byte
/// and continuation bytes), so it agrees with a matcher over Unicode scalars without decoding them.
enum Glob {
    /// Whether `pattern` matches the whole of `value`.
    static func matches(_ pattern: String, _ value: String, ignoringCase: Bool = false) -> Bool {
        var pattern = pattern
        var value = value
        return pattern.withUTF8 { p in value.withUTF8 { v in matches(p, v, ignoringCase: ignoringCase) } }
    }

    /// ``matches(_:_:ignoringCase:)`` on the UTF-8 bytes of valid strings.
    ///
    /// Iterative, with a single backtrack point: linear-ish and no recursion, so a hostile pattern like
    /// `*a*a*a*…` cannot blow the stack or go exponential.
    static func matches(_ p: UnsafeBufferPointer<UInt8>, _ v: UnsafeBufferPointer<UInt8>, ignoringCase: Bool) -> Bool {
        let star = UInt8(ascii: "*"), question = UInt8(ascii: "?")
        @inline(__always) func same(_ a: UInt8, _ b: UInt8) -> Bool {
            ignoringCase ? ASCII.lowercased(a) == ASCII.lowercased(b) : a == b
        }
        /// The index after the code point starting at `i` in `v`.
        @inline(__always) func nextScalar(_ i: Int) -> Int {
            var j = i + 1
            while j < v.count, v[j] & 0xC0 == 0x80 { j += 1 }
            return j
        }
        var pi = 0, vi = 0
        var starP = -1, starV = 0
        while vi < v.count {
            if pi < p.count, p[pi] == question {
                pi += 1
                vi = nextScalar(vi)
            } else if pi < p.count, p[pi] != star, same(p[pi], v[vi]) {
                pi += 1
                vi += 1
            } else if pi < p.count, p[pi] == star {
                starP = pi
                starV = vi
                pi += 1
            } else if starP >= 0 {
                // Retry one code point further: a star never ends inside a code point, so a literal can
                // never match from a continuation byte.
                pi = starP + 1
                starV = nextScalar(starV)
                vi = starV
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == star { pi += 1 }
        return pi == p.count
    }
}
