import AnchorageBasics
import AnchorageCrypto
import Foundation
import Synchronization

/// The OpenSSL verification bound: signature verifications per second with every core busy, using
/// the same call the server makes (`PublicKey.verifySHA256Signature` over a string to sign).
enum VerificationBound {
    static func measure(_ algorithm: PrivateKey.Algorithm, threads: Int, seconds: Double) throws -> Double {
        let key = try PrivateKey.generate(algorithm)
        let publicKey = try key.publicKey
        // A string to sign of the size CreateSession requests have.
        let message = Array(String(repeating: "AWS4-X509-ECDSA-SHA256\n20260101T000000Z\n", count: 4).utf8)
        let signature = try key.signSHA256(message)
        guard publicKey.verifySHA256Signature(signature, over: message) else {
            throw BenchmarkError("verification bound: the signature does not verify")
        }
        let stop = StopFlag()
        let counts = ResultSlots<Int>(threads)
        let group = DispatchGroup()
        let started = MonotonicTime.seconds
        for index in 0..<threads {
            group.enter()
            let thread = Thread {
                var count = 0
                while !stop.value.load(ordering: .relaxed) {
                    for _ in 0..<16 where publicKey.verifySHA256Signature(signature, over: message) { count += 1 }
                }
                counts[index] = count
                group.leave()
            }
            thread.start()
        }
        usleep(UInt32(seconds * 1e6))
        stop.value.store(true, ordering: .relaxed)
        group.wait()
        let elapsed = MonotonicTime.seconds - started
        return Double(counts.values.reduce(0) { $0 + ($1 ?? 0) }) / elapsed
    }
}

final class StopFlag: Sendable {
    let value = Atomic<Bool>(false)
}
