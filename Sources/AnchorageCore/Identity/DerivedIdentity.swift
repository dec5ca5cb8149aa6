import AnchorageCrypto
import AnchorageLocking

/// What CreateSession derives from a certificate under one profile's attribute mappings — principal tags,
/// source identity and their trust-policy context entries — computed once per distinct (certificate,
/// mappings) pair.
///
/// The derivation depends only on the certificate's bytes (identified by the SHA-256 of its DER) and the
/// mappings, never on time, trust or revocation, so an entry never goes stale; those are still decided on
/// every request.
final class DerivedIdentity: Sendable {
    /// ``PrincipalTags/derive(from:mappings:)`` of the certificate.
    let tags: [(key: String, value: String)]
    let principalTags: [PrincipalTag]
    /// ``SourceIdentity/derive(from:)`` of the certificate.
    let sourceIdentity: String
    /// The certificate-derived condition keys (ASCII-lowercased) of a CreateSession context: `aws:principaltag/…`,
    /// `aws:requesttag/…`, `aws:tagkeys` and `sts:sourceidentity`.
    let contextBase: [String: [String]]

    init(_ certificate: Certificate, mappings: [AttributeMapping]?) {
        let identity = CertificateIdentity(certificate)
        tags = PrincipalTags.derive(from: identity, mappings: mappings)
        principalTags = tags.map { PrincipalTag(key: $0.key, value: $0.value) }
        sourceIdentity = SourceIdentity.derive(from: identity)
        contextBase = RequestContext.certificateEntries(tags: tags, sourceIdentity: sourceIdentity)
    }

    // MARK: - Cache

    private struct Key: Hashable {
        var digest: CertificateDigest
        var mappings: [AttributeMapping]?
    }

    /// Two generations of at most `generationCapacity` entries (an approximate LRU, as in `CertificateCache`).
    private struct Generations {
        var young: [Key: DerivedIdentity] = [:]
        var old: [Key: DerivedIdentity] = [:]
    }

    private static let shardCount = 8
    private static let generationCapacity = 256
    private final class Shard: Sendable {
        let state = Locked(Generations())
    }

    private static let shards: [Shard] = (0..<shardCount).map { _ in Shard() }

    /// The derivation for `certificate` under `mappings`, from the cache when it was made before.
    static func of(_ certificate: Certificate, mappings: [AttributeMapping]?) -> DerivedIdentity {
        let key = Key(digest: certificate.digest, mappings: mappings)
        let shard = shards[Int(truncatingIfNeeded: UInt(bitPattern: key.digest.hashValue) % UInt(shardCount))]
        if let found = shard.state.withLock({ state -> DerivedIdentity? in
            if let hit = state.young[key] { return hit }
            guard let hit = state.old.removeValue(forKey: key) else { return nil }
            insert(key, hit, into: &state)
            return hit
        }) {
            return found
        }
        let derived = DerivedIdentity(certificate, mappings: mappings)
        shard.state.withLock { insert(key, derived, into: &$0) }
        return derived
    }

    private static func insert(_ key: Key, _ value: DerivedIdentity, into state: inout Generations) {
        if state.young.count >= generationCapacity {
            state.old = state.young
            state.young = [:]
        }
        state.young[key] = value
    }
}
