import AnchorageBasics

extension RequestContext {
    /// The context an identity-policy evaluation of a control-plane call sees, with every key named in one place.
    ///
    /// The caller's keys come from its verified session: `aws:PrincipalTag/<key>` (the certificate's tags),
    /// `aws:PrincipalArn` (the role ARN, as IAM gives it for an assumed-role session), `aws:PrincipalAccount`,
    /// `aws:PrincipalType` (`AssumedRole`), `aws:userid`, `aws:SourceIdentity`, `aws:SourceIp`,
    /// `aws:RequestedRegion`, `aws:CurrentTime` and `aws:EpochTime`. The request's keys (`requestKeys`) add
    /// what the call carries — `aws:RequestTag/<key>`, `aws:TagKeys`, `aws:ResourceTag/<key>` and service keys —
    /// but can never replace a caller key: any other `aws:` key among them is dropped.
    public static func controlPlane(
        claims: SessionClaims, account: String, region: String, sourceIp: String?, epochSeconds: Int64,
        requestKeys: [String: [String]]
    ) -> RequestContext {
        var storage: [String: [String]] = [:]
        for (key, values) in requestKeys where !values.isEmpty && Self.isRequestKey(key) {
            storage[ASCII.lowercased(key), default: []] += values
        }
        for tag in claims.principalTags {
            storage["aws:principaltag/" + ASCII.lowercased(tag.key)] = [tag.value]
        }
        storage["aws:principalarn"] = [claims.roleArn]
        storage["aws:principalaccount"] = [account]
        storage["aws:principaltype"] = ["AssumedRole"]
        if let identity = SessionIdentity(claims: claims) { storage["aws:userid"] = [identity.userId] }
        storage["aws:sourceidentity"] = [claims.sourceIdentity]
        storage["aws:requestedregion"] = [region]
        storage["aws:epochtime"] = [String(epochSeconds)]
        storage["aws:currenttime"] = [UTCTimestamp.iso8601(epochSeconds)]
        if let sourceIp, !sourceIp.isEmpty { storage["aws:sourceip"] = [sourceIp] }
        return RequestContext(lowercasedStorage: storage.filter { !$0.value.isEmpty })
    }

    /// Keys a request may supply: the tag keys and anything outside the global `aws:` namespace.
    static func isRequestKey(_ key: String) -> Bool {
        let lowered = ASCII.lowercased(key)
        return !lowered.hasPrefix("aws:") || lowered.hasPrefix("aws:requesttag/") || lowered == "aws:tagkeys"
            || lowered.hasPrefix("aws:resourcetag/")
    }
}
