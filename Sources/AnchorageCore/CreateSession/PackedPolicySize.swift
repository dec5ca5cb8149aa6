/// An estimate of STS's `packedPolicySize`: the percentage of the packed session-tag and policy budget
/// used. STS's packing is unpublished; this counts bytes against its 2048-byte inline-policy limit.
enum PackedPolicySize {
    static func estimate(tags: [PrincipalTag], profile: Profile) -> Int {
        let tagBytes = tags.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count }
        let policyBytes = (profile.sessionPolicy?.utf8.count ?? 0) + profile.managedPolicyArns.count * 32
        return min(100, (tagBytes + policyBytes) * 100 / 2048)
    }
}
