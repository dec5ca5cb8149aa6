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
            (1...12).contains(month), day >= 1,
            day <= Int64(UTCTimestamp.daysInMonth(year: Int(year), month: Int(month)))
        else { return nil }
        return UTCTimestamp.days(year: Int(year), month: Int(month), day: Int(day))
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
        let (civilYear, civilMonth, civilDay) = UTCTimestamp.civil(fromDays: days)
        let (year, month, day) = (Int64(civilYear), Int64(civilMonth), Int64(civilDay))
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
