import AnchorageCrypto
import Foundation
import Synchronization
import Testing

@testable import AnchorageCore

/// Counts its calls and hands out 1, 2, 3, … so every byte it ever produced is distinct (mod 256).
private final class CountingRandom: RandomSource {
    private let state = Mutex<(calls: [Int], next: UInt8)>(([], 0))
    var calls: [Int] { state.withLock { $0.calls } }
    func bytes(_ count: Int) -> [UInt8] {
        state.withLock { state in
            state.calls.append(count)
            return (0..<count).map { _ in
                state.next &+= 1
                return state.next
            }
        }
    }
}

@Suite struct PrefetchedRandomTests {
    @Test func servesOneDrawInOrderAndNeverAByteTwice() {
        let source = CountingRandom()
        let random = PrefetchedRandom(52, from: source)
        #expect(source.calls == [52])
        #expect(random.bytes(10) == Array(1...10))
        #expect(random.bytes(30) == Array(11...40))
        #expect(random.bytes(12) == Array(41...52))
        // Past the drawn bytes: the source again, never the drawn bytes a second time.
        #expect(random.bytes(3) == [53, 54, 55])
        #expect(source.calls == [52, 3])
        #expect(random.bytes(0) == [])
    }

    @Test func aRequestLargerThanWhatIsLeftGoesToTheSource() {
        let source = CountingRandom()
        let random = PrefetchedRandom(8, from: source)
        #expect(random.bytes(5) == Array(1...5))
        #expect(random.bytes(4) == Array(9...12))
        #expect(random.bytes(3) == [6, 7, 8])
        #expect(source.calls == [8, 4])
    }

    /// One CreateSession draws its key id, secret and token nonce in one call to the service's source, and the three
    /// are different bytes.
    @Test func oneIssuedSessionIsOneDraw() throws {
        let source = CountingRandom()
        let service = CreateSessionService(
            keyring: TokenKeyring.generate(id: "t", random: SystemRandomSource()), random: source)
        let vector = try RolesAnywhereVectorTests.load()
        let configuration = try RolesAnywhereVectorTests.configuration(anchors: [vector.rootPEM])
        let outcome = service.createSession(
            vector.requests[1], configuration: configuration, now: RolesAnywhereVectorTests.fixedTime)
        guard case .issued(let response) = outcome.result else {
            Issue.record("not issued: \(outcome.detail)")
            return
        }
        #expect(source.calls == [CreateSessionService.randomBytesPerMint])
        #expect(response.credentials.accessKeyId == "ASIA" + IdentifierEncoding.base32(Array(1...10), length: 16))
        #expect(response.credentials.secretAccessKey == Base64.encode(Array(11...40)))
    }
}
