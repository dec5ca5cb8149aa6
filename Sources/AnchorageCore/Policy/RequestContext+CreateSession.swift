extension RequestContext {
    /// The context a CreateSession trust-policy evaluation sees, with every key named in one place.
    ///
    /// Tags appear under both `aws:PrincipalTag/<key>` (what the UG's trust policies use) and
    /// `aws:RequestTag/<key>`, with their keys in the multi-valued `aws:TagKeys`.
    /// `sts:RoleSessionName` is only present when the caller chose a name.
    /// - Parameters:
    ///   - sourceArn: the trust anchor's ARN (`aws:SourceArn`).
    ///   - sourceAccount: the trust anchor's account (`aws:SourceAccount`).
    ///   - epochSeconds: the request time, giving `aws:EpochTime` and `aws:CurrentTime` (ISO 8601, UTC).
    ///   - sourceIp: the client address (`aws:SourceIp`), when known.
    public static func createSession(
        sourceArn: String, sourceAccount: String, principalTags: [(key: String, value: String)],
        sourceIdentity: String, roleSessionName: String?, epochSeconds: Int, sourceIp: String?
    ) -> RequestContext {
        var values: [String: [String]] = [
            "aws:SourceArn": [sourceArn],
            "aws:SourceAccount": [sourceAccount],
            "sts:SourceIdentity": [sourceIdentity],
            "aws:EpochTime": [String(epochSeconds)],
            "aws:CurrentTime": [ConditionDate.iso8601(epochSeconds: epochSeconds)],
            "aws:TagKeys": principalTags.map(\.key),
        ]
        if let roleSessionName { values["sts:RoleSessionName"] = [roleSessionName] }
        if let sourceIp { values["aws:SourceIp"] = [sourceIp] }
        for tag in principalTags {
            values["aws:PrincipalTag/" + tag.key] = [tag.value]
            values["aws:RequestTag/" + tag.key] = [tag.value]
        }
        return RequestContext(values)
    }

    /// ``createSession(sourceArn:sourceAccount:principalTags:sourceIdentity:roleSessionName:epochSeconds:sourceIp:)``
    /// for `derived`'s tags and source identity, starting from its precomputed (lowercased) entries.
    static func createSession(
        derived: DerivedIdentity, sourceArn: String, sourceAccount: String, roleSessionName: String?,
        epochSeconds: Int, sourceIp: String?
    ) -> RequestContext {
        var storage = derived.contextBase
        storage["aws:sourcearn"] = [sourceArn]
        storage["aws:sourceaccount"] = [sourceAccount]
        storage["aws:epochtime"] = [String(epochSeconds)]
        storage["aws:currenttime"] = [UTCTimestamp.iso8601(Int64(epochSeconds))]
        if let roleSessionName { storage["sts:rolesessionname"] = [roleSessionName] }
        if let sourceIp { storage["aws:sourceip"] = [sourceIp] }
        return RequestContext(lowercasedStorage: storage)
    }
}
