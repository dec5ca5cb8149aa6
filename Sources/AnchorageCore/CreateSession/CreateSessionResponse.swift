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

    /// The response document.
    public var json: JSONValue {
        .object([
            JSONMember(
                key: "credentialSet",
                value: .array([
                    .object([
                        JSONMember(
                            key: "assumedRoleUser",
                            value: .object([
                                JSONMember(key: "arn", value: .string(assumedRoleArn)),
                                JSONMember(key: "assumedRoleId", value: .string(assumedRoleId)),
                            ])),
                        JSONMember(
                            key: "credentials",
                            value: .object([
                                JSONMember(key: "accessKeyId", value: .string(credentials.accessKeyId)),
                                JSONMember(
                                    key: "expiration", value: .string(UTCTimestamp.iso8601(credentials.expiration))),
                                JSONMember(key: "secretAccessKey", value: .string(credentials.secretAccessKey)),
                                JSONMember(key: "sessionToken", value: .string(credentials.sessionToken)),
                            ])),
                        JSONMember(key: "packedPolicySize", value: .number(String(packedPolicySize))),
                        JSONMember(key: "roleArn", value: .string(roleArn)),
                        JSONMember(key: "sourceIdentity", value: .string(sourceIdentity)),
                    ])
                ])),
            JSONMember(key: "subjectArn", value: .string(subjectArn)),
        ])
    }
}
