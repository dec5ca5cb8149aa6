import AnchorageCrypto

/// Short-lived credentials in the form AWS STS issues them.
public struct TemporaryCredentials: Sendable {
    /// `ASIA` followed by 16 base32 characters.
    public var accessKeyId: String
    /// 40 characters. Never logged.
    public var secretAccessKey: String
    /// The sealed ``SessionClaims``. Never logged.
    public var sessionToken: String
    /// Seconds since the Unix epoch.
    public var expiration: Int64

    /// A fresh access key id: 80 random bits, base32-encoded after the `ASIA` prefix of temporary keys.
    public static func makeAccessKeyId(random: any RandomSource) -> String {
        "ASIA" + IdentifierEncoding.base32(random.bytes(10), length: 16)
    }

    /// A fresh secret access key: 240 random bits as 40 base64 characters, the shape AWS uses.
    public static func makeSecretAccessKey(random: any RandomSource) -> String {
        Base64.encode(random.bytes(30))
    }

    /// Credentials issued elsewhere (an upstream STS's), carried as they were received.
    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String, expiration: Int64) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
    }

    /// Mints credentials for `claims` (whose key id and secret are already chosen) and seals the token.
    public init(claims: SessionClaims, keyring: TokenKeyring, random: any RandomSource) {
        accessKeyId = claims.accessKeyId
        secretAccessKey = claims.secretAccessKey
        sessionToken = SessionToken.seal(claims, keyring: keyring, random: random)
        expiration = claims.expiresAt
    }
}
