/// UTC calendar arithmetic without Foundation formatters (they are slow and locale-sensitive).
public enum UTCTimestamp {
    /// `YYYY-MM-DDTHH:MM:SSZ` for `seconds` since the Unix epoch — the form AWS uses for `expiration`.
    public static func iso8601(_ seconds: Int64) -> String {
        let (y, m, d, hh, mm, ss) = components(seconds)
        if (0...9999).contains(y) { return format(y, m, d, hh, mm, ss, milliseconds: nil) }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(hh, 2)):\(pad(mm, 2)):\(pad(ss, 2))Z"
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` for milliseconds since the epoch, for logs.
    public static func iso8601Milliseconds(_ milliseconds: Int64) -> String {
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let (y, m, d, hh, mm, ss) = components(seconds)
        let ms = milliseconds - seconds * 1000
        if (0...9999).contains(y) { return format(y, m, d, hh, mm, ss, milliseconds: Int(ms)) }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(hh, 2)):\(pad(mm, 2)):\(pad(ss, 2)).\(pad(Int(ms), 3))Z"
    }

    /// Calendar components of `seconds` since the epoch (proleptic Gregorian, UTC).
    public static func components(_ seconds: Int64) -> (Int, Int, Int, Int, Int, Int) {
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = Int(seconds - days * 86400)
        let (y, m, d) = civil(fromDays: days)
        return (y, m, d, secondOfDay / 3600, secondOfDay / 60 % 60, secondOfDay % 60)
    }

    /// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
    public static func days(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// The number of days in `month` of `year` (proleptic Gregorian).
    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// The civil date (year, month, day) of `z0` days since 1970-01-01 (the inverse of ``days(year:month:day:)``).
    public static func civil(fromDays z0: Int64) -> (Int, Int, Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (Int(y), Int(m), Int(d))
    }

    /// Four-digit years only: the same text as the interpolated forms, written into a fixed buffer.
    private static func format(_ y: Int, _ m: Int, _ d: Int, _ hh: Int, _ mm: Int, _ ss: Int, milliseconds: Int?)
        -> String
    {
        let length = milliseconds == nil ? 20 : 24
        return String(unsafeUninitializedCapacity: length) { out in
            func put(_ value: Int, _ width: Int, at offset: Int) {
                var v = value
                for i in stride(from: offset + width - 1, through: offset, by: -1) {
                    out[i] = UInt8(ascii: "0") + UInt8(v % 10)
                    v /= 10
                }
            }
            put(y, 4, at: 0)
            out[4] = UInt8(ascii: "-")
            put(m, 2, at: 5)
            out[7] = UInt8(ascii: "-")
            put(d, 2, at: 8)
            out[10] = UInt8(ascii: "T")
            put(hh, 2, at: 11)
            out[13] = UInt8(ascii: ":")
            put(mm, 2, at: 14)
            out[16] = UInt8(ascii: ":")
            put(ss, 2, at: 17)
            if let milliseconds {
                out[19] = UInt8(ascii: ".")
                put(milliseconds, 3, at: 20)
            }
            out[length - 1] = UInt8(ascii: "Z")
            return length
        }
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
