/// What an upstream STS answered to `AssumeRole`: credentials, or the failure they map to.
///
/// Parsed from the query protocol's XML (`AssumeRoleResponse` or `ErrorResponse`, the shape AWS, MinIO
/// and Ceph RGW share) by looking up elements by name: the documents are small and flat, and nothing
/// else of them is used.
public enum AssumeRoleResponse {
    /// The credentials of a complete answer.
    public struct Issued: Sendable {
        public var credentials: TemporaryCredentials
        /// `AssumedRoleUser.Arn`, e.g. `arn:aws:sts::123456789012:assumed-role/web-reader/0a1b`.
        public var assumedRoleArn: String
        public var assumedRoleId: String
        public var packedPolicySize: Int?
        public var requestId: String?

        /// Whether ``assumedRoleArn`` is a session of `roleArn` — the same partition and account,
        /// `assumed-role/<the role's name>/<session>` — compared code point by code point. Credentials of any
        /// other role are a broken or confused upstream's, never the caller's.
        public func isSession(of roleArn: String) -> Bool {
            guard let role = ARN(roleArn), let assumed = ARN(assumedRoleArn) else { return false }
            func same(_ a: some StringProtocol, _ b: some StringProtocol) -> Bool { a.utf8.elementsEqual(b.utf8) }
            let parts = assumed.resource.split(separator: "/", omittingEmptySubsequences: false)
            return same(assumed.partition, role.partition) && same(assumed.service, "sts")
                && same(assumed.account, role.account) && parts.count == 3 && same(parts[0], "assumed-role")
                && same(parts[1], role.resourceName) && !parts[2].isEmpty
        }
    }

    /// Classifies the answer `status`/`body`: complete credentials or an ``UpstreamFailure``. Anything
    /// short of every credential field is a failure: a caller never gets partial credentials.
    public static func parse(status: Int, body: [UInt8]) -> Result<Issued, UpstreamFailure> {
        let text = String(decoding: body, as: UTF8.self)
        let requestId = XMLElements.first("RequestId", in: text[...]).map {
            UpstreamFailure.bounded(XMLElements.decode($0), 128)
        }
        guard (200...299).contains(status) else {
            // A redirect (never followed) or another status below 400 is no refusal: the endpoint is wrong.
            guard status >= 400 else {
                return .failure(
                    .malformedAnswer(
                        "HTTP \(status) is neither credentials nor an error (no redirect is followed)", requestId))
            }
            let code = XMLElements.first("Code", in: text[...]).map { XMLElements.decode($0) } ?? ""
            let message = XMLElements.first("Message", in: text[...]).map { XMLElements.decode($0) } ?? ""
            return .failure(
                UpstreamFailure.answered(status: status, code: code, message: message, requestId: requestId))
        }
        guard let result = XMLElements.first("AssumeRoleResult", in: text[...]),
            let credentials = XMLElements.first("Credentials", in: result),
            let user = XMLElements.first("AssumedRoleUser", in: result),
            let accessKeyId = XMLElements.first("AccessKeyId", in: credentials).map(XMLElements.decode),
            let secret = XMLElements.first("SecretAccessKey", in: credentials).map(XMLElements.decode),
            let token = XMLElements.first("SessionToken", in: credentials).map(XMLElements.decode),
            let expirationText = XMLElements.first("Expiration", in: credentials).map(XMLElements.decode),
            let arn = XMLElements.first("Arn", in: user).map(XMLElements.decode),
            let roleId = XMLElements.first("AssumedRoleId", in: user).map(XMLElements.decode)
        else {
            return .failure(.malformedAnswer("HTTP \(status) without complete AssumeRoleResult credentials", requestId))
        }
        guard let expiration = UTCTimestamp.parseISO8601(expirationText) else {
            return .failure(.malformedAnswer("Expiration \(expirationText.prefix(64)) is not ISO 8601", requestId))
        }
        for (name, value) in [("AccessKeyId", accessKeyId), ("SecretAccessKey", secret), ("SessionToken", token)]
        where value.isEmpty || !value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
            return .failure(.malformedAnswer("\(name) is empty or not printable ASCII", requestId))
        }
        guard ARN(arn) != nil else { return .failure(.malformedAnswer("AssumedRoleUser.Arn is not an ARN", requestId)) }
        let packed = XMLElements.first("PackedPolicySize", in: result).flatMap { Int(XMLElements.decode($0)) }
        return .success(
            Issued(
                credentials: TemporaryCredentials(
                    accessKeyId: accessKeyId, secretAccessKey: secret, sessionToken: token, expiration: expiration),
                assumedRoleArn: arn, assumedRoleId: roleId, packedPolicySize: packed,
                requestId: requestId))
    }
}
