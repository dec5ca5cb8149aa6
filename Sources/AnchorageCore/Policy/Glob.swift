/// IAM wildcard matching: `*` matches any run of characters (including none), `?` exactly one.
///
/// IAM has no escape character, so a literal `*` or `?` in a pattern is always a wildcard; a
/// policy cannot require a value to contain a literal asterisk.
enum Glob {
    /// Whether `pattern` matches the whole of `value`.
    ///
    /// Works on Unicode scalars, so `?` is one code point (a combining sequence counts as several),
    /// which is what a byte-oriented AWS implementation would most plausibly do for non-ASCII.
    static func matches(_ pattern: String, _ value: String, ignoringCase: Bool = false) -> Bool {
        if let result = asciiMatches(pattern, value, ignoringCase: ignoringCase) { return result }
        let p = Array((ignoringCase ? pattern.lowercased() : pattern).unicodeScalars)
        let v = Array((ignoringCase ? value.lowercased() : value).unicodeScalars)
        // Iterative matcher with single backtrack point: linear-ish and no recursion, so a hostile
        // pattern like `*a*a*a*…` cannot blow the stack or go exponential.
        var pi = 0, vi = 0
        var starP = -1, starV = 0
        while vi < v.count {
            if pi < p.count, p[pi] == "?" || (p[pi] != "*" && p[pi] == v[vi]) {
                pi += 1
                vi += 1
            } else if pi < p.count, p[pi] == "*" {
                starP = pi
                starV = vi
                pi += 1
            } else if starP >= 0 {
                pi = starP + 1
                starV += 1
                vi = starV
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }

    /// The same matcher over UTF-8 bytes when both strings are ASCII (where a scalar is a byte and
    /// `lowercased()` is ASCII folding); nil otherwise, or when a string is not contiguous UTF-8.
    static func asciiMatches(_ pattern: String, _ value: String, ignoringCase: Bool) -> Bool? {
        let result = pattern.utf8.withContiguousStorageIfAvailable { p in
            value.utf8.withContiguousStorageIfAvailable { v in
                asciiMatches(p, v, ignoringCase: ignoringCase)
            }
        }
        guard let outer = result, let inner = outer else { return nil }
        return inner
    }

    /// ``matches(_:_:ignoringCase:)`` on ASCII byte buffers; nil when either holds a non-ASCII byte.
    static func asciiMatches(
        _ p: UnsafeBufferPointer<UInt8>, _ v: UnsafeBufferPointer<UInt8>, ignoringCase: Bool
    ) -> Bool? {
        for byte in p where byte >= 0x80 { return nil }
        for byte in v where byte >= 0x80 { return nil }
        @inline(__always) func fold(_ b: UInt8) -> UInt8 {
            ignoringCase && b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") ? b | 0x20 : b
        }
        let star = UInt8(ascii: "*"), question = UInt8(ascii: "?")
        var pi = 0, vi = 0
        var starP = -1, starV = 0
        while vi < v.count {
            if pi < p.count, p[pi] == question || (p[pi] != star && fold(p[pi]) == fold(v[vi])) {
                pi += 1
                vi += 1
            } else if pi < p.count, p[pi] == star {
                starP = pi
                starV = vi
                pi += 1
            } else if starP >= 0 {
                pi = starP + 1
                starV += 1
                vi = starV
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == star { pi += 1 }
        return pi == p.count
    }
}
