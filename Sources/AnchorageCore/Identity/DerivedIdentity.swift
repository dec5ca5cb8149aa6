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

    /// The derivations made so far, by certificate digest and mappings, owned by the
    /// ``CreateSessionService`` that uses them (see its `derivedIdentities`).
    final class Cache: Sendable {
        private struct Key: Hashable, Sendable {
            var digest: CertificateDigest
            var mappings: [AttributeMapping]?
        }
        private let derived: GenerationalCache<Key, DerivedIdentity>

        /// A cache of at most `capacity` derivations.
        init(capacity: Int) { derived = GenerationalCache(capacity: capacity) }

        /// The derivation for `certificate` under `mappings`, from the cache when it was made before.
        func of(_ certificate: Certificate, mappings: [AttributeMapping]?) -> DerivedIdentity {
            derived.value(for: Key(digest: certificate.digest, mappings: mappings)) {
                DerivedIdentity(certificate, mappings: mappings)
            }
        }
    }
}
