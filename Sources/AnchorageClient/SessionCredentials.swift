import AnchorageCore

/// Temporary credentials as CreateSession returns them, checked against the character sets of AWS's
/// credential fields.
///
/// What the helper prints for `credential_process`, writes into `~/.aws/credentials` and serves to
/// boto3 comes from the service, which may be hostile: a newline in a session token would add a
/// profile (with its own `credential_process` line) to the credentials file. Every output path takes
/// its values from this type, and the only way to make one is `init`, which refuses any value
/// outside its field's set, so nothing unchecked can reach an output. Errors never quote a value.
public struct SessionCredentials: Sendable, Equatable {
    public private(set) var accessKeyId: String
    public private(set) var secretAccessKey: String
    public private(set) var sessionToken: String
    /// Copied verbatim from the service (`YYYY-MM-DDTHH:MM:SS[.fraction]Z`).
    public private(set) var expiration: String
    /// `expiration` as seconds since the epoch.
    public private(set) var expirationSeconds: Int64

    /// AWS access key ids: upper-case letters and digits (`ASIA…` for temporary keys).
    static let accessKeyIdLengths = 16...128
    /// Secret keys are 40 base64 characters at AWS; any printable ASCII without spaces is accepted.
    static let secretAccessKeyLengths = 16...128
    /// Session tokens are standard base64 (Anchorage seals its tokens with `Base64.encode`, AWS STS
    /// the same alphabet); real ones are 1 to 2 KB, the bound leaves room for any provider.
    static let sessionTokenLengths = 1...16384

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String, expiration: String)
        throws(HelperError)
    {
        try Self.check(
            "AccessKeyId", accessKeyId, lengths: Self.accessKeyIdLengths, allowed: "upper-case letters and digits"
        ) { (0x41...0x5A).contains($0) || (0x30...0x39).contains($0) }
        try Self.check(
            "SecretAccessKey", secretAccessKey, lengths: Self.secretAccessKeyLengths,
            allowed: "printable ASCII without spaces"
        ) { (0x21...0x7E).contains($0) }
        try Self.check("SessionToken", sessionToken, lengths: Self.sessionTokenLengths, allowed: "base64") {
            Self.isBase64($0)
        }
        guard let seconds = Self.parseExpiration(expiration) else {
            throw HelperError(
                "the service returned an invalid Expiration (not an ISO-8601 UTC time YYYY-MM-DDTHH:MM:SSZ)")
        }
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
        self.expirationSeconds = seconds
    }

    /// The `credential_process` line: `{"Version":1,"AccessKeyId",…,"Expiration"}`.
    public var credentialProcessJSON: String {
        "{\"Version\":1,\"AccessKeyId\":\(JSONWriter.quoted(accessKeyId)),"
            + "\"SecretAccessKey\":\(JSONWriter.quoted(secretAccessKey)),"
            + "\"SessionToken\":\(JSONWriter.quoted(sessionToken)),\"Expiration\":\(JSONWriter.quoted(expiration))}"
    }

    private static func check(
        _ field: String, _ value: String, lengths: ClosedRange<Int>, allowed: String, _ isAllowed: (UInt8) -> Bool
    ) throws(HelperError) {
        let bytes = value.utf8
        guard !bytes.isEmpty else { throw HelperError("the service returned an empty \(field)") }
        guard lengths.contains(bytes.count) else {
            throw HelperError(
                "the service returned an invalid \(field) (\(bytes.count) bytes, not \(lengths.lowerBound) to \(lengths.upperBound))"
            )
        }
        if let bad = bytes.firstIndex(where: { !isAllowed($0) }) {
            let position = bytes.distance(from: bytes.startIndex, to: bad)
            throw HelperError(
                "the service returned an invalid \(field) (character \(position + 1) is not \(allowed))")
        }
    }

    private static func isBase64(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="): true
        default: false
        }
    }

    /// Seconds since the epoch of a strict `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (``UTCTimestamp/parseISO8601(_:)``,
    /// the server's own parser: a real calendar date and time, no offset, no leap second), from 1970 on.
    static func parseExpiration(_ text: String) -> Int64? {
        guard let seconds = UTCTimestamp.parseISO8601(text), seconds >= 0 else { return nil }
        return seconds
    }
}
