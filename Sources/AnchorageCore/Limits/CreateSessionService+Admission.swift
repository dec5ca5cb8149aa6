import AnchorageCrypto

/// A request admitted past the replay lookup, to be recorded once it is allowed.
struct ReplayTicket: Sendable {
    var key: LimitKey
    var expiresAt: Int64
}

extension CreateSessionService {
    /// Right after the signature verified: refuses a replay (`replayed_request`), then spends one token of
    /// the certificate's bucket (`throttled_certificate`). Returns what to record if the request is allowed.
    func admitVerified(
        leaf: Certificate, stringToSign: String, signature: [UInt8], algorithm: X509SigningAlgorithm,
        requestTime: Int64, now: Int64
    ) throws(Denial) -> ReplayTicket? {
        guard let admission else { return nil }
        var ticket: ReplayTicket?
        if let cache = admission.replayCache {
            let key = RequestAdmission.replayKey(
                certificateSHA256: leaf.sha256Fingerprint, stringToSign: stringToSign, signature: signature,
                algorithm: algorithm)
            if cache.contains(key, now: now) {
                throw Denial(.replayedRequest, "this signed request was already accepted")
            }
            ticket = ReplayTicket(key: key, expiresAt: requestTime + allowedClockSkew)
        }
        if let limiter = admission.certificateLimiter,
            !limiter.acquire(
                LimitKey(prefixOf: Hex.decode(leaf.sha256Fingerprint) ?? Digest.sha256(leaf.sha256Fingerprint)))
        {
            throw Denial(.throttledCertificate, "certificate \(leaf.sha256Fingerprint) is over \(limiter.limit)")
        }
        return ticket
    }

    /// Just before credentials are minted: records the request, so the same bytes are never accepted again
    /// inside their validity window.
    func commitReplay(_ ticket: ReplayTicket?, now: Int64) throws(Denial) {
        guard let ticket, let cache = admission?.replayCache else { return }
        switch cache.insert(ticket.key, expiresAt: ticket.expiresAt, now: now) {
        case .inserted: return
        case .replayed: throw Denial(.replayedRequest, "this signed request was already accepted")
        case .full: throw Denial(.replayCacheFull, "the replay cache holds \(cache.capacity) live entries")
        }
    }
}
