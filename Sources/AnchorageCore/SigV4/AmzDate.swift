/// A SigV4 timestamp, `YYYYMMDDTHHMMSSZ` in UTC with second precision.
///
/// Parsing is strict (exactly 16 characters, a real calendar date, `T` and `Z` in upper case)
/// because the text is hashed into the string to sign: two spellings of one instant must not both
/// verify. The arithmetic is Howard Hinnant's days-from-civil, so no formatter or locale is involved.
public struct AmzDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z.
    public var secondsSinceEpoch: Int64

    // 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the instants a four-digit year can spell.
    private static let earliest: Int64 = -62_167_219_200
    private static let latest: Int64 = 253_402_300_799

    /// The instant `secondsSinceEpoch`; nil when its year does not fit in four digits.
    public init?(secondsSinceEpoch: Int64) {
        guard secondsSinceEpoch >= Self.earliest, secondsSinceEpoch <= Self.latest else { return nil }
        self.secondsSinceEpoch = secondsSinceEpoch
    }

    /// Parses `YYYYMMDDTHHMMSSZ`; nil for any other spelling or an impossible date or time.
    public init?(_ text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard bytes.count == 16, bytes[8] == UInt8(ascii: "T"), bytes[15] == UInt8(ascii: "Z"),
            let days = Self.days(ofDatePart: bytes[0..<8]),
            let hour = Self.decimal(bytes[9..<11]), let minute = Self.decimal(bytes[11..<13]),
            let second = Self.decimal(bytes[13..<15]),
            hour < 24, minute < 60, second < 60  // SigV4 clients never emit leap seconds
        else { return nil }
        secondsSinceEpoch = days * 86_400 + hour * 3_600 + minute * 60 + second
    }

    /// `YYYYMMDDTHHMMSSZ`.
    public var string: String {
        let (days, secondOfDay) = floorDivision(secondsSinceEpoch, 86_400)
        var out = Self.datePartBytes(days: days)
        out.append(UInt8(ascii: "T"))
        Self.appendTwoDigits(secondOfDay / 3_600, to: &out)
        Self.appendTwoDigits(secondOfDay / 60 % 60, to: &out)
        Self.appendTwoDigits(secondOfDay % 60, to: &out)
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    /// `YYYYMMDD`, the date that appears in a credential scope.
    public var datePart: String {
        String(decoding: Self.datePartBytes(days: floorDivision(secondsSinceEpoch, 86_400).quotient), as: UTF8.self)
    }

    public var description: String { string }

    public static func < (lhs: AmzDate, rhs: AmzDate) -> Bool { lhs.secondsSinceEpoch < rhs.secondsSinceEpoch }

    /// True when `text` is `YYYYMMDD` naming a real calendar day, the form a credential scope date takes.
    public static func isValidDatePart(_ text: some StringProtocol) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.count == 8 && days(ofDatePart: bytes[0..<8]) != nil
    }

    // MARK: - Calendar arithmetic

    /// Days since 1970-01-01 for an eight-digit `YYYYMMDD`, nil unless the day exists.
    private static func days(ofDatePart bytes: ArraySlice<UInt8>) -> Int64? {
        let start = bytes.startIndex
        guard let year = decimal(bytes[start..<start + 4]), let month = decimal(bytes[start + 4..<start + 6]),
            let day = decimal(bytes[start + 6..<start + 8]),
            (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month)
        else { return nil }
        return daysFromCivil(year: year, month: month, day: day)
    }

    private static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        // Counting years from March puts the leap day last, so day-of-year is a linear formula.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func civilFromDays(_ days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    // MARK: - Digits

    private static func decimal(_ bytes: ArraySlice<UInt8>) -> Int64? {
        var value: Int64 = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func datePartBytes(days: Int64) -> [UInt8] {
        let (year, month, day) = civilFromDays(days)
        var out = [UInt8]()
        out.reserveCapacity(16)
        appendTwoDigits(year / 100, to: &out)
        appendTwoDigits(year % 100, to: &out)
        appendTwoDigits(month, to: &out)
        appendTwoDigits(day, to: &out)
        return out
    }

    private static func appendTwoDigits(_ value: Int64, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "0") + UInt8(value / 10))
        out.append(UInt8(ascii: "0") + UInt8(value % 10))
    }
}

/// Division rounding towards negative infinity, so instants before 1970 land on the right day.
private func floorDivision(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
    var quotient = value / divisor
    var remainder = value % divisor
    if remainder < 0 {
        quotient -= 1
        remainder += divisor
    }
    return (quotient, remainder)
}
