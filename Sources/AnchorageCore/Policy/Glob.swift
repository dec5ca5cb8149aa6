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
}
