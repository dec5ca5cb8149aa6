extension CreateSessionResponse {
    /// The response document, compact: `{"credentialSet":[{"assumedRoleUser":{…},"credentials":{…},
    /// "packedPolicySize":…,"roleArn":…,"sourceIdentity":…}],"subjectArn":…}`.
    public var jsonBytes: [UInt8] {
        var w = JSONByteWriter(capacity: 1024 + credentials.sessionToken.utf8.count)
        w.beginObject()
        w.key("credentialSet")
        w.beginArray()
        w.beginObject()
        w.key("assumedRoleUser")
        w.beginObject()
        w.member("arn", assumedRoleArn)
        w.member("assumedRoleId", assumedRoleId)
        w.endObject()
        w.key("credentials")
        w.beginObject()
        w.member("accessKeyId", credentials.accessKeyId)
        w.member("expiration", UTCTimestamp.iso8601(credentials.expiration))
        w.member("secretAccessKey", credentials.secretAccessKey)
        w.member("sessionToken", credentials.sessionToken)
        w.endObject()
        w.key("packedPolicySize")
        w.integer(packedPolicySize)
        w.member("roleArn", roleArn)
        w.member("sourceIdentity", sourceIdentity)
        w.endObject()
        w.endArray()
        w.member("subjectArn", subjectArn)
        w.endObject()
        return w.bytes
    }
}
