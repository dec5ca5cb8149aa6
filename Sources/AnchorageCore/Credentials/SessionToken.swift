import AnchorageCrypto

/// Seals ``SessionClaims`` into an opaque session token and opens it again.
///
/// Layout before base64: `0x01` (format version) ‖ key-id length (1 byte) ‖ key id ‖ 12-byte nonce ‖
/// AES-256-GCM(claims JSON) ‖ 16-byte tag. The version and key id are authenticated as associated
/// data, so neither can be swapped without the tag failing.
public enum SessionToken {
    static let formatVersion: UInt8 = 1

    /// Seals `claims` under the keyring's newest key with a fresh random nonce.
    public static func seal(_ claims: SessionClaims, keyring: TokenKeyring, random: any RandomSource) -> String {
        let key = keyring.sealingKey
        let header = [formatVersion, UInt8(key.id.utf8.count)] + Array(key.id.utf8)
        let nonce = random.bytes(AES256GCM.nonceLength)
        let plaintext = claims.jsonBytes
        // Sealing fails only for a bad key or nonce length, which TokenKeyring rules out.
        let sealed = try! AES256GCM.seal(plaintext, key: key.secret, nonce: nonce, authenticating: header)
        return Base64.encode(header + nonce + sealed)
    }

    /// Why a token does not open.
    public enum OpenError: Error, Equatable {
        case malformed
        case unknownKey
        case tampered
    }

    /// Opens a token sealed by any key of `keyring`.
    public static func open(_ token: String, keyring: TokenKeyring) throws(OpenError) -> SessionClaims {
        guard let bytes = Base64.decode(token), bytes.count > 2, bytes[0] == formatVersion else { throw .malformed }
        // Base64.decode ignores the unused low bits before padding, so one token has up to 16
        // spellings; only the one seal() wrote opens.
        guard Base64.encode(bytes) == token else { throw .malformed }
        let idLength = Int(bytes[1])
        let headerLength = 2 + idLength
        guard bytes.count >= headerLength + AES256GCM.nonceLength + AES256GCM.tagLength else { throw .malformed }
        let id = String(decoding: bytes[2..<headerLength], as: UTF8.self)
        guard let key = keyring.key(withID: id) else { throw .unknownKey }
        let nonce = Array(bytes[headerLength..<headerLength + AES256GCM.nonceLength])
        let sealed = Array(bytes[(headerLength + AES256GCM.nonceLength)...])
        guard
            let plaintext = AES256GCM.open(
                sealed, key: key.secret, nonce: nonce, authenticating: Array(bytes[0..<headerLength]))
        else { throw .tampered }
        guard let json = try? JSONParser.parse(plaintext), let claims = SessionClaims(json: json) else {
            throw .malformed
        }
        return claims
    }
}
