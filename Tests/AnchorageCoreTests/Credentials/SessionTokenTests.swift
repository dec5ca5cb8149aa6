import AnchorageCore
import AnchorageCrypto
import Testing

@Suite struct SessionTokenTests {
    static func claims() -> SessionClaims {
        SessionClaims(
            accessKeyId: "ASIAABCDEFGHIJKLMNOP", secretAccessKey: String(repeating: "s", count: 40),
            roleArn: "arn:aws:iam::123456789012:role/web", roleSessionName: "0a1b", sourceIdentity: "CN=web",
            principalTags: [PrincipalTag(key: "x509Subject/CN", value: "web")],
            trustAnchorArn: "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/a",
            profileArn: "arn:aws:rolesanywhere:us-east-1:123456789012:profile/p", certificateSerialHex: "0a1b",
            certificateSHA256: String(repeating: "f", count: 64), issuedAt: 1_795_575_845, expiresAt: 1_795_579_445,
            sourceAddress: "127.0.0.1")
    }

    @Test func sealedTokenOpensToTheSameClaims() throws {
        let keyring = TokenKeyring.generate(id: "k1", random: SystemRandomSource())
        let token = SessionToken.seal(Self.claims(), keyring: keyring, random: SystemRandomSource())
        #expect(try SessionToken.open(token, keyring: keyring) == Self.claims())
        #expect(!token.contains("ASIAABCDEFGHIJKLMNOP"), "the token must not reveal its claims")
    }

    @Test func rotationSealsWithTheNewestKeyAndOpensWithEveryListedKey() throws {
        let old = TokenKeyring.Key(id: "old", secret: SecureRandom.bytes(32))
        let new = TokenKeyring.Key(id: "new", secret: SecureRandom.bytes(32))
        let before = try TokenKeyring(keys: [old])
        let during = try TokenKeyring(keys: [old, new])
        let after = try TokenKeyring(keys: [new])
        let oldToken = SessionToken.seal(Self.claims(), keyring: before, random: SystemRandomSource())
        let newToken = SessionToken.seal(Self.claims(), keyring: during, random: SystemRandomSource())
        #expect(try SessionToken.open(oldToken, keyring: during) == Self.claims())
        #expect(try SessionToken.open(newToken, keyring: after) == Self.claims())
        #expect(throws: SessionToken.OpenError.unknownKey) { try SessionToken.open(oldToken, keyring: after) }
        #expect(throws: SessionToken.OpenError.unknownKey) { try SessionToken.open(newToken, keyring: before) }
    }

    @Test func everyAlteredByteIsRejected() throws {
        let keyring = TokenKeyring.generate(id: "k1", random: SystemRandomSource())
        let token = SessionToken.seal(Self.claims(), keyring: keyring, random: SystemRandomSource())
        let bytes = try #require(Base64.decode(token))
        for index in bytes.indices {
            var altered = bytes
            altered[index] ^= 0x01
            #expect(throws: SessionToken.OpenError.self) {
                try SessionToken.open(Base64.encode(altered), keyring: keyring)
            }
        }
        #expect(throws: SessionToken.OpenError.malformed) { try SessionToken.open("not base64!", keyring: keyring) }
    }

    /// Found by Tests/Fuzz (session_token): a token whose last base64 character before the padding
    /// differed only in unused bits still opened.
    @Test func onlyTheCanonicalSpellingOfATokenOpens() throws {
        let keyring = TokenKeyring.generate(id: "k1", random: SystemRandomSource())
        var claims = Self.claims()
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var checked = 0
        for length in 0..<6 {
            claims.roleSessionName = String(repeating: "x", count: length)
            let token = SessionToken.seal(claims, keyring: keyring, random: SystemRandomSource())
            guard token.hasSuffix("=") else { continue }
            #expect(try SessionToken.open(token, keyring: keyring) == claims)
            let padding = token.hasSuffix("==") ? 2 : 1
            var characters = Array(token)
            let last = characters.count - padding - 1
            let value = alphabet.firstIndex(of: characters[last])!
            characters[last] = alphabet[value ^ 1]  // an unused bit when there is padding
            let alias = String(characters)
            #expect(Base64.decode(alias) == Base64.decode(token))
            #expect(throws: SessionToken.OpenError.malformed) { try SessionToken.open(alias, keyring: keyring) }
            checked += 1
        }
        #expect(checked > 0)
    }

    @Test func keyringRejectsBadKeysAndRoundTripsItsFile() throws {
        #expect(throws: SchemaError.self) { try TokenKeyring(keys: []) }
        #expect(throws: SchemaError.self) { try TokenKeyring(keys: [.init(id: "a", secret: [1, 2, 3])]) }
        #expect(throws: SchemaError.self) {
            try TokenKeyring(keys: [
                .init(id: "a", secret: SecureRandom.bytes(32)), .init(id: "a", secret: SecureRandom.bytes(32)),
            ])
        }
        let keyring = TokenKeyring.generate(id: "k1", random: SystemRandomSource())
        let reread = try TokenKeyring(json: try JSONParser.parse(JSONWriter.string(keyring.json)))
        #expect(reread.sealingKey.id == "k1")
        #expect(reread.sealingKey.secret == keyring.sealingKey.secret)
    }

    @Test func accessKeyIdsAndSecretsHaveTheAWSShape() {
        let random = SystemRandomSource()
        for _ in 0..<50 {
            let id = TemporaryCredentials.makeAccessKeyId(random: random)
            #expect(id.count == 20 && id.hasPrefix("ASIA"))
            #expect(id.dropFirst(4).allSatisfy { ("A"..."Z").contains($0) || ("2"..."7").contains($0) })
            #expect(TemporaryCredentials.makeSecretAccessKey(random: random).count == 40)
        }
    }
}

@Suite struct IdentifierEncodingTests {
    @Test func base32MatchesRFC4648AndStopsAtTheRequestedLength() {
        #expect(IdentifierEncoding.base32(Array("foobar".utf8), length: 10) == "MZXW6YTBOI")
        #expect(
            IdentifierEncoding.base32(Array(repeating: 0xFF, count: 32), length: 17)
                == String(repeating: "7", count: 17))
        #expect(IdentifierEncoding.base32(digestOf: "arn:aws:iam::1:role/x", length: 17).count == 17)
    }

    @Test func uuidStringsCarryVersionAndVariant() {
        let uuid = IdentifierEncoding.uuidString(Array(repeating: 0, count: 16), version: 4)
        #expect(uuid == "00000000-0000-4000-8000-000000000000")
    }
}
