import AnchorageLocking
import Foundation
import Testing

@testable import AnchorageHTTP

/// `ThreadName` reaches the kernel (what `top -H` and `perf` show), cut to the kernel's 15 bytes.
@Suite struct ThreadNameTests {
    /// The calling thread's kernel name, read on that thread.
    private static func kernelName() -> String? {
        (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8))?
            .trimmingCharacters(in: .newlines)
    }

    @Test(arguments: [("http-loop-7", "http-loop-7"), ("a-name-longer-than-fifteen", "a-name-longer-t")])
    func namesTheCallingThread(_ name: String, _ expected: String) {
        let seen = Locked<String?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            ThreadName.setCurrent(name)
            seen.withLock { $0 = Self.kernelName() }
            done.signal()
        }
        thread.start()
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(seen.withLock { $0 } == expected)
    }
}
