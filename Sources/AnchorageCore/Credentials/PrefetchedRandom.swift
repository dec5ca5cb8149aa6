import AnchorageLocking

/// Bytes drawn from another source in one call and handed out in order, so the three draws of one CreateSession
/// (access key id, secret, token nonce) cost one DRBG call: OpenSSL 3.0 makes a `getpid(2)` fork check and a
/// provider dispatch on every `RAND_bytes`.
///
/// No byte is handed out twice: consumed bytes are overwritten, and a request past the drawn bytes goes to the
/// source. Made for one request's minting, not kept: nothing drawn outlives the request that drew it.
final class PrefetchedRandom: RandomSource {
    private let source: any RandomSource
    private let drawn: Locked<(bytes: [UInt8], next: Int)>

    init(_ count: Int, from source: any RandomSource) {
        self.source = source
        drawn = Locked((source.bytes(count), 0))
    }

    func bytes(_ count: Int) -> [UInt8] {
        let served = drawn.withLock { state -> [UInt8]? in
            guard state.next + count <= state.bytes.count else { return nil }
            let range = state.next..<state.next + count
            let out = Array(state.bytes[range])
            state.bytes.replaceSubrange(range, with: repeatElement(0, count: count))
            state.next += count
            return out
        }
        return served ?? source.bytes(count)
    }
}
