import AnchorageBasics

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
        createSession(
            certificateEntries: certificateEntries(tags: principalTags, sourceIdentity: sourceIdentity),
            sourceArn: sourceArn, sourceAccount: sourceAccount, roleSessionName: roleSessionName,
            epochSeconds: epochSeconds, sourceIp: sourceIp)
    }

    /// The certificate-derived entries of a CreateSession context, keys ASCII-lowercased:
    /// `aws:principaltag/…`, `aws:requesttag/…`, `aws:tagkeys` and `sts:sourceidentity`. They depend only on
    /// the certificate and the profile's mappings, so ``DerivedIdentity`` computes them once per pair.
    static func certificateEntries(tags: [(key: String, value: String)], sourceIdentity: String) -> [String: [String]] {
        var entries: [String: [String]] = [:]
        entries.reserveCapacity(2 * tags.count + 8)
        entries["sts:sourceidentity"] = [sourceIdentity]
        if !tags.isEmpty { entries["aws:tagkeys"] = tags.map(\.key) }
        for tag in tags {
            let key = ASCII.lowercased(tag.key)
            entries["aws:principaltag/" + key] = [tag.value]
            entries["aws:requesttag/" + key] = [tag.value]
        }
        return entries
    }

    /// The context for `certificateEntries` (``certificateEntries(tags:sourceIdentity:)``) and the request's
    /// own keys.
    static func createSession(
        certificateEntries: [String: [String]], sourceArn: String, sourceAccount: String, roleSessionName: String?,
        epochSeconds: Int, sourceIp: String?
    ) -> RequestContext {
        var storage = certificateEntries
        storage["aws:sourcearn"] = [sourceArn]
        storage["aws:sourceaccount"] = [sourceAccount]
        storage["aws:epochtime"] = [String(epochSeconds)]
        storage["aws:currenttime"] = [UTCTimestamp.iso8601(Int64(epochSeconds))]
        if let roleSessionName { storage["sts:rolesessionname"] = [roleSessionName] }
        if let sourceIp { storage["aws:sourceip"] = [sourceIp] }
        return RequestContext(lowercasedStorage: storage)
    }
}
