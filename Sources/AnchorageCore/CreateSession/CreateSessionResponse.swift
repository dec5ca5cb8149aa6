/// The 201 body of CreateSession, in exactly AWS's JSON shape.
public struct CreateSessionResponse: Sendable {
    public var credentials: TemporaryCredentials
    public var assumedRoleArn: String
    public var assumedRoleId: String
    public var roleArn: String
    public var sourceIdentity: String
    public var subjectArn: String
    public var packedPolicySize: Int

    public init(
        credentials: TemporaryCredentials, assumedRoleArn: String, assumedRoleId: String, roleArn: String,
        sourceIdentity: String, subjectArn: String, packedPolicySize: Int
    ) {
        self.credentials = credentials
        self.assumedRoleArn = assumedRoleArn
        self.assumedRoleId = assumedRoleId
        self.roleArn = roleArn
        self.sourceIdentity = sourceIdentity
        self.subjectArn = subjectArn
        self.packedPolicySize = packedPolicySize
    }
}
