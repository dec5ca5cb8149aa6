import AnchorageBasics

/// The principal tags an upstream `AssumeRole` may carry, within STS's session-tag limits.
///
/// STS refuses the whole call when one tag breaks a limit, so the tags are fitted first, with the rules
/// ``PrincipalTags`` applies when it derives them (one implementation of STS's pattern and lengths):
/// - a tag whose key is not 1-128 characters of `[\p{L}\p{Z}\p{N}_.:/=+\-@]` is dropped;
/// - a tag whose value is longer than 256 characters or has any other character is dropped — never
///   shortened or rewritten, since an altered value could match an upstream condition the real one does not;
/// - a key in the reserved `aws:` namespace is dropped;
/// - a key equal to an earlier one ignoring ASCII case is dropped (STS keys are case-insensitive);
/// - only the first 50 remaining tags are sent (``PrincipalTags/maximumCount``), in derivation order.
public enum UpstreamSessionTags {
    /// The tags to send and the keys of the tags left out (for the audit log).
    public static func fit(_ tags: [PrincipalTag]) -> (sent: [PrincipalTag], dropped: [String]) {
        var sent: [PrincipalTag] = []
        var dropped: [String] = []
        var seen: Set<String> = []
        for tag in tags {
            let lowered = ASCII.lowercased(tag.key)
            guard PrincipalTags.isValidKey(tag.key), PrincipalTags.isValidValue(tag.value),
                !lowered.hasPrefix("aws:"), sent.count < PrincipalTags.maximumCount,
                seen.insert(lowered).inserted
            else {
                dropped.append(tag.key)
                continue
            }
            sent.append(tag)
        }
        return (sent, dropped)
    }

    /// `sourceIdentity` when STS accepts it as `SourceIdentity` (2-64 characters of `[\w+=,.@-]`, the pattern
    /// of ``RoleSessionName``), else nil: a certificate CN with a space, say, is not sent rather than refused.
    public static func sourceIdentity(_ sourceIdentity: String) -> String? {
        RoleSessionName.validate(sourceIdentity) ? sourceIdentity : nil
    }
}
