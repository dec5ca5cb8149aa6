extension UTCTimestamp {
    /// Parses `YYYY-MM-DDTHH:MM:SSZ` (optionally with a fraction of 1 to 9 digits, which is dropped) into seconds
    /// since the Unix epoch; nil for anything else or an impossible date.
    ///
    /// The strict UTC form of the policy date parser (``ConditionDate``): no offsets, no bare dates, no
    /// epoch numbers, no leap second.
    public static func parseISO8601(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard (20...30).contains(bytes.count), bytes.count != 21, bytes[10] == UInt8(ascii: "T"),
            bytes.last == UInt8(ascii: "Z"),
            bytes[19] == UInt8(ascii: "Z") || bytes[19] == UInt8(ascii: "."),
            bytes[17...18] != [UInt8(ascii: "6"), UInt8(ascii: "0")],
            let seconds = ConditionDate.epochSeconds(text)
        else { return nil }
        return Int64(seconds.rounded(.down))
    }
}
