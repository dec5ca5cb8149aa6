import AnchorageCrypto

/// What Roles Anywhere requires of the signing certificate itself (UG "Signature validation").
enum LeafPolicy {
    static let strongDigests: Set<String> = ["sha256", "sha384", "sha512"]
    static let acceptedCurves: Set<String> = ["prime256v1", "secp384r1", "secp521r1"]

    static func isStrongDigest(_ certificate: Certificate) -> Bool {
        certificate.signatureDigestName.map { strongDigests.contains($0) } ?? false
    }

    static func check(_ leaf: Certificate, now: Int64) throws(CreateSessionService.Denial) {
        guard leaf.version == 3 else {
            throw .init(.leafNotVersion3, "certificate is X.509 v\(leaf.version)")
        }
        guard !leaf.isCA else { throw .init(.leafIsCA, "certificate has basicConstraints CA:TRUE") }
        // AWS requires digitalSignature; an absent keyUsage extension does not state it, so it is refused.
        guard let usage = leaf.keyUsage, usage.contains(.digitalSignature) else {
            throw .init(.leafMissingDigitalSignature, "keyUsage lacks digitalSignature")
        }
        guard isStrongDigest(leaf) else {
            throw .init(.weakSignatureAlgorithm, "certificate signed with \(leaf.signatureDigestName ?? "unknown")")
        }
        let kind: PublicKey.Kind
        do {
            kind = try leaf.publicKey.kind
        } catch {
            throw .init(.malformedCertificate, "unreadable public key")
        }
        switch kind {
        case .rsa(let bits) where bits >= 2048: break
        case .ec(let curve) where acceptedCurves.contains(curve): break
        default: throw .init(.weakKey, "\(kind) key")
        }
        guard now >= leaf.notBefore else {
            throw .init(.certificateNotYetValid, "notBefore \(UTCTimestamp.iso8601(leaf.notBefore))")
        }
        guard now <= leaf.notAfter else {
            throw .init(.certificateExpired, "notAfter \(UTCTimestamp.iso8601(leaf.notAfter))")
        }
    }
}
