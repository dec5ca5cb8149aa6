/// Reads the date forms accepted by the `Date…` condition operators and by `aws:CurrentTime`.
///
/// Accepted: epoch seconds (`1767322800`, optionally with a fraction), a date (`2026-01-02`,
/// midnight UTC), and date-times `2026-01-02T03:04:05Z` with optional fractional seconds and a
/// `Z` or `±hh:mm` / `±hhmm` offset. Hand-written (no Foundation) so parsing is identical on every
/// platform and a malformed value is simply `nil`.
enum ConditionDate {
    /// Seconds since 1970-01-01T00:00:00Z, or nil when `text` is not one of the accepted forms.
    static func epochSeconds(_ text: String) -> Double? {
        let s = Array(text.utf8)
        guard !s.isEmpty else { return nil }
        if s.allSatisfy({ isDigit($0) || $0 == UInt8(ascii: ".") }) {
            // Epoch seconds: digits with at most one dot, not leading or trailing.
            let dots = s.filter { $0 == UInt8(ascii: ".") }.count
            guard dots <= 1, s.first != UInt8(ascii: "."), s.last != UInt8(ascii: ".") else { return nil }
            return Double(text)
        }
        var i = 0
        func number(_ width: Int) -> Int? {
            guard i + width <= s.count else { return nil }
            var n = 0
            for b in s[i..<i + width] {
                guard isDigit(b) else { return nil }
                n = n * 10 + Int(b - UInt8(ascii: "0"))
            }
            i += width
            return n
        }
        func expect(_ c: Character) -> Bool {
            guard i < s.count, s[i] == c.asciiValue else { return false }
            i += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2),
            (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day)
        else { return nil }
        let days = Double(daysFromCivil(year: year, month: month, day: day))
        if i == s.count { return days * 86400 }
        guard expect("T"), let hour = number(2), expect(":"), let minute = number(2), expect(":"),
            let second = number(2), hour < 24, minute < 60, second < 61
        else { return nil }
        var fraction = 0.0
        if expect(".") {
            let start = i
            while i < s.count, isDigit(s[i]) { i += 1 }
            guard i > start, let f = Double("0." + String(decoding: s[start..<i], as: UTF8.self)) else { return nil }
            fraction = f
        }
        var offset = 0
        if expect("Z") {
            offset = 0
        } else if i < s.count, s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") {
            let sign = s[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            guard let oh = number(2) else { return nil }
            _ = expect(":")
            guard let om = number(2), oh < 24, om < 60 else { return nil }
            offset = sign * (oh * 3600 + om * 60)
        } else {
            // A date-time without a zone is ambiguous; refuse it rather than guess local time.
            return nil
        }
        guard i == s.count else { return nil }
        return days * 86400 + Double(hour * 3600 + minute * 60 + second - offset) + fraction
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` for whole epoch seconds, the form of `aws:CurrentTime`.
    static func iso8601(epochSeconds: Int) -> String {
        // The same text as below, formatted without interpolation for four-digit years.
        if (0...253_402_300_799).contains(epochSeconds) { return UTCTimestamp.iso8601(Int64(epochSeconds)) }
        let days = epochSeconds >= 0 ? epochSeconds / 86400 : (epochSeconds - 86399) / 86400
        let secondOfDay = epochSeconds - days * 86400
        let (year, month, day) = civilFromDays(days)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let y = String(year)
        let yyyy = String(repeating: "0", count: max(0, 4 - y.count)) + y
        return "\(yyyy)-\(two(month))-\(two(day))T\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))Z"
    }

    /// The inverse of `daysFromCivil` (Howard Hinnant's algorithm).
    private static func civilFromDays(_ z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }
}
