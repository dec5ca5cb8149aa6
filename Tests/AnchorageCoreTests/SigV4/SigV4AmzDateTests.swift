import AnchorageCore
import Testing

@Suite struct SigV4AmzDateTests {
    @Test(arguments: [
        ("20150830T123600Z", Int64(1_440_938_160)),
        ("19700101T000000Z", 0),
        ("19691231T235959Z", -1),
        ("20000229T120000Z", 951_825_600),
        ("20261125T030405Z", 1_795_575_845),
        ("00000101T000000Z", -62_167_219_200),
        ("99991231T235959Z", 253_402_300_799),
    ])
    func parsesAndFormats(_ text: String, _ seconds: Int64) throws {
        let date = try #require(AmzDate(text))
        #expect(date.secondsSinceEpoch == seconds)
        #expect(date.string == text)
        #expect(date.datePart == String(text.prefix(8)))
        #expect(AmzDate(secondsSinceEpoch: seconds) == date)
    }

    @Test func roundTripsAcrossCenturiesAndLeapDays() throws {
        // Every day from 1899 to 2101, at a time of day that moves around, plus the edges of each day.
        var seconds: Int64 = -2_240_524_800  // 1899-01-01
        while seconds < 4_133_980_800 {  // 2101-01-01
            for offset: Int64 in [0, 86_399, (seconds / 86_400 * 7_919) & 0xFFFF] {
                let date = try #require(AmzDate(secondsSinceEpoch: seconds + offset))
                let reparsed = try #require(AmzDate(date.string), "\(date.string)")
                #expect(reparsed.secondsSinceEpoch == seconds + offset)
            }
            seconds += 86_400
        }
    }

    @Test(arguments: [
        "20150230T000000Z", "20150229T000000Z", "19000229T000000Z", "20150431T000000Z", "20151301T000000Z",
        "20150001T000000Z", "20150100T000000Z", "20150830T240000Z", "20150830T126000Z", "20150830T123660Z",
        "2015083T123600Z", "20150830T123600z", "20150830t123600Z", "20150830 123600Z", "20150830T123600",
        "20150830T123600ZZ", "2015-08-30T12:36:00Z", "+0150830T123600Z", "2015083aT123600Z", "", "٢٠١٥0830T123600Z",
    ])
    func rejectsAnythingElse(_ text: String) {
        #expect(AmzDate(text) == nil)
    }

    @Test func rejectsInstantsWithoutAFourDigitYear() {
        #expect(AmzDate(secondsSinceEpoch: -62_167_219_201) == nil)
        #expect(AmzDate(secondsSinceEpoch: 253_402_300_800) == nil)
    }

    @Test func validatesScopeDates() {
        #expect(AmzDate.isValidDatePart("20240229"))
        #expect(!AmzDate.isValidDatePart("20230229"))
        #expect(!AmzDate.isValidDatePart("2023022"))
        #expect(!AmzDate.isValidDatePart("2023-02-2"))
    }

    @Test func ordersByInstant() throws {
        #expect(try #require(AmzDate("20150830T123600Z")) < (try #require(AmzDate("20150830T123601Z"))))
    }
}
