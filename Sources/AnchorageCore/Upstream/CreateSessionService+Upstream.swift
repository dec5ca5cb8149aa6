import AnchorageCrypto

extension CreateSessionService {
    /// What to ask the role's upstream STS for, after Anchorage allowed `authorization`: the role's ARN, the
    /// session name and duration Anchorage decided, the certificate's source identity and principal tags (fitted
    /// to STS's limits), and the profile's session policy and managed policy ARNs.
    func brokeredSession(_ authorization: Authorization, request: SessionRequest, configuration: Configuration)
        throws(Denial) -> BrokeredSession
    {
        let role = authorization.role
        guard let name = role.upstream, let upstream = configuration.upstreams[name] else {
            // The loader refuses a configuration naming an undefined upstream; this is a programming error.
            throw Denial(
                .internalError, "role \(role.name) names upstream \(role.upstream ?? "?"), which is not loaded")
        }
        let tags = UpstreamSessionTags.fit(authorization.principalTags)
        let profile = authorization.profile
        let parameters = AssumeRoleParameters(
            roleArn: role.arn.description, roleSessionName: authorization.sessionName,
            durationSeconds: authorization.duration,
            sourceIdentity: UpstreamSessionTags.sourceIdentity(authorization.sourceIdentity), tags: tags.sent,
            policy: profile.sessionPolicy, policyArns: profile.managedPolicyArns)
        return BrokeredSession(
            upstream: upstream, parameters: parameters, droppedTagKeys: tags.dropped, roleArn: role.arn.description,
            sourceIdentity: authorization.sourceIdentity,
            subjectArn: Self.subjectArn(anchor: authorization.anchor, leaf: request.certificate))
    }

    /// The `explain` line of a brokered role: which upstream issues its credentials, and what Anchorage cannot
    /// do for them.
    func brokeredExplanation(_ name: String, configuration: Configuration) -> String {
        guard let upstream = configuration.upstreams[name] else { return "brokered through \(name) (not loaded)" }
        return "brokered: credentials come from AssumeRole at upstream \(name) (\(upstream.endpoint)); "
            + "Anchorage's STS does not know them and `anchorage revoke` cannot recall them"
    }
}
