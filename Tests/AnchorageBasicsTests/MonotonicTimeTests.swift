import AnchorageBasics
import Testing

@Suite struct MonotonicTimeTests {
    /// Successive readings never go backwards, in either unit.
    @Test func readingsNeverDecrease() {
        var previousNanoseconds = MonotonicTime.nanoseconds
        var previousSeconds = MonotonicTime.seconds
        for _ in 0..<10_000 {
            let nanoseconds = MonotonicTime.nanoseconds
            let seconds = MonotonicTime.seconds
            #expect(nanoseconds >= previousNanoseconds)
            #expect(seconds >= previousSeconds)
            previousNanoseconds = nanoseconds
            previousSeconds = seconds
        }
    }

    /// Both units read the same clock: seconds taken between two nanosecond readings lie between them.
    @Test func secondsAndNanosecondsReadTheSameClock() {
        let before = MonotonicTime.nanoseconds
        let seconds = MonotonicTime.seconds
        let after = MonotonicTime.nanoseconds
        #expect(Double(before) / 1e9 <= seconds + 1e-6)
        #expect(seconds <= Double(after) / 1e9 + 1e-6)
    }
}
