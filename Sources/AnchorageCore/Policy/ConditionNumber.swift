/// Reads the numbers accepted by the `Numeric…` condition operators.
enum ConditionNumber {
    /// The value of a plain decimal (`-12`, `3.5`, `1e3`), or nil for anything else.
    ///
    /// Stricter than `Double(_:)`, which would also accept `inf`, `nan` and hex floats — values no
    /// IAM policy means as numbers.
    static func value(_ text: String) -> Double? {
        var s = Substring(text)
        if s.first == "-" || s.first == "+" { s = s.dropFirst() }
        guard let first = s.first, first.isASCII, first.isNumber else { return nil }
        let allowed = s.allSatisfy {
            $0.isASCII && ($0.isNumber || $0 == "." || $0 == "e" || $0 == "E" || $0 == "-" || $0 == "+")
        }
        guard allowed, let d = Double(text), d.isFinite else { return nil }
        return d
    }
}
