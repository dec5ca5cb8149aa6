import AnchorageCrypto

// The session-token opener (Sources/AnchorageCore/Credentials/SessionToken.swift).
//
// Input: byte 0 picks the mode.
//  0: the rest is a token as a client would send it (X-Amz-Security-Token).
//  1: the rest is a list of (offset, xor) pairs applied to a genuine token's bytes (byte 1 picks
//     which; a pair with xor 0 truncates or appends there instead).
//  2: the rest, split on NUL, fills the claims; they are sealed and opened again.
// Invariants beyond "no crash":
//  - the opener returns claims only for a token whose decoded bytes a test keyring key sealed
//    (the fuzzer cannot forge AES-GCM, so any other opening is a tampered token getting in);
//  - a token that opens is spelled in canonical base64 (no second spelling of one token opens);
//  - sealing then opening gives back equal claims; a keyring without the sealing key says
//    unknownKey, one whose key of that id has another secret says tampered.
@testable import AnchorageCore

/// Deterministic bytes, so the seed tokens are reproducible.
private struct FixedRandom: RandomSource {
    var salt: UInt8
    func bytes(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ Int(salt)) } }
}

/// Test-only keys: the bytes 0...31 and 32...63. Never a production secret.
private let keyring = try! TokenKeyring(keys: [
    TokenKeyring.Key(id: "fuzz-old", secret: Array(0..<32)),
    TokenKeyring.Key(id: "fuzz-new", secret: Array(32..<64)),
])
private let oldOnly = try! TokenKeyring(keys: [keyring.keys[0]])
private let newSwapped = try! TokenKeyring(keys: [
    keyring.keys[0], TokenKeyring.Key(id: "fuzz-new", secret: Array(64..<96)),
])

private let claims = SessionClaims(
    accessKeyId: "ASIAFUZZ234567ABCDEF", secretAccessKey: "c2VjcmV0LWZvci10aGUtZnV6emVyLW9ubHktMTIz",
    roleArn: "arn:aws:iam::123456789012:role/web-reader",
    roleSessionName: "580983474099637577150592529484182699812734654561",
    sourceIdentity: "CN=alice-rsa",
    principalTags: [
        PrincipalTag(key: "x509Subject/CN", value: "alice-rsa"), PrincipalTag(key: "x509SAN/DNS", value: "example.com"),
    ],
    trustAnchorArn: "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/4a1c52e0-7d6b-4b7e-9a55-0e6f4c3b9d21",
    profileArn: "arn:aws:rolesanywhere:us-east-1:123456789012:profile/8f0e2a3b-1c4d-4e5f-8a9b-0c1d2e3f4a5b",
    certificateSerialHex: "65c43333502550cedcee3c351fba310c4d004458",
    certificateSHA256: String(repeating: "ab", count: 32),
    issuedAt: 1_795_575_845, expiresAt: 1_795_579_445, sourceAddress: "192.0.2.7",
    certificateSubject: "CN=alice-rsa,OU=Security,OU=Engineering",
    certificateIssuer: "CN=Test Intermediate CA,OU=Research,OU=Eng,O=Test,C=US")

/// Genuine tokens: sealed by the newest key, by the old key, and a minimal one.
private let genuine: [String] = {
    var minimal = claims
    minimal.principalTags = []
    minimal.sourceAddress = nil
    minimal.certificateSubject = nil
    minimal.certificateIssuer = nil
    return [
        SessionToken.seal(claims, keyring: keyring, random: FixedRandom(salt: 1)),
        SessionToken.seal(claims, keyring: oldOnly, random: FixedRandom(salt: 2)),
        SessionToken.seal(minimal, keyring: keyring, random: FixedRandom(salt: 3)),
    ]
}()
private let genuineBytes: Set<[UInt8]> = Set(genuine.map { Base64.decode($0)! })

private func checkOpened(_ token: String) {
    guard let opened = try? SessionToken.open(token, keyring: keyring) else { return }
    let bytes = Base64.decode(token)
    fuzzCheck(bytes.map { genuineBytes.contains($0) } == true, "a token no key sealed opened")
    fuzzCheck(Base64.encode(bytes ?? []) == token, "a non-canonical spelling of a token opened: \(token)")
    fuzzCheck(opened.accessKeyId == claims.accessKeyId, "opened claims are not the sealed ones")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    switch input.byte() % 3 {
    case 0:
        checkOpened(String(decoding: input.rest(), as: UTF8.self))
    case 1:
        let original = Base64.decode(genuine[Int(input.byte()) % genuine.count])!
        var bytes = original
        while !input.isAtEnd {
            let offset = Int(input.byte()) << 8 | Int(input.byte())
            let xor = input.byte()
            if xor == 0 {
                if offset & 1 == 0 {
                    bytes = Array(bytes.prefix(offset >> 1))
                } else {
                    bytes.append(UInt8(truncatingIfNeeded: offset >> 1))
                }
            } else if !bytes.isEmpty {
                bytes[offset % bytes.count] ^= xor
            }
        }
        let token = Base64.encode(bytes)
        let result = Result { () throws(SessionToken.OpenError) in try SessionToken.open(token, keyring: keyring) }
        if bytes != original {
            fuzzCheck((try? result.get()) == nil, "a tampered token opened")
        } else {
            fuzzCheck((try? result.get()) != nil, "a genuine token did not open")
        }
        checkOpened(token)
    default:
        var fields = fuzzFields(input.rest(), separator: 0).map { String(decoding: $0, as: UTF8.self) }
        while fields.count < 12 { fields.append("") }
        let tags = stride(from: 11, to: fields.count - 1, by: 2).map {
            PrincipalTag(key: fields[$0], value: fields[$0 + 1])
        }
        let numbers = fields[9].utf8.reduce(Int64(0)) { $0 &* 131 &+ Int64($1) }
        let made = SessionClaims(
            accessKeyId: fields[0], secretAccessKey: fields[1], roleArn: fields[2], roleSessionName: fields[3],
            sourceIdentity: fields[4], principalTags: tags, trustAnchorArn: fields[5], profileArn: fields[6],
            certificateSerialHex: fields[7], certificateSHA256: fields[8], issuedAt: numbers, expiresAt: ~numbers,
            sourceAddress: fields[10].isEmpty ? nil : fields[10],
            certificateSubject: fields[3].isEmpty ? nil : fields[4],
            certificateIssuer: fields[5].isEmpty ? nil : fields[6])
        let token = SessionToken.seal(
            made, keyring: keyring, random: FixedRandom(salt: UInt8(truncatingIfNeeded: size)))
        do {
            let opened = try SessionToken.open(token, keyring: keyring)
            fuzzCheck(opened == made, "claims changed across seal and open")
        } catch {
            fuzzCheck(false, "a freshly sealed token does not open: \(error)")
        }
        fuzzCheck(
            Result { () throws(SessionToken.OpenError) in try SessionToken.open(token, keyring: oldOnly) }.failureValue
                == .unknownKey,
            "a token sealed with a removed key did not fail with unknownKey")
        fuzzCheck(
            Result { () throws(SessionToken.OpenError) in try SessionToken.open(token, keyring: newSwapped) }
                .failureValue == .tampered,
            "a token opened under another secret of the same key id")
    }
    return 0
}

extension Result {
    fileprivate var failureValue: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    fuzzWriteSeedsIfAsked { directory in
        for (index, token) in genuine.enumerated() {
            fuzzWriteSeed(directory, "token-\(index)", [0] + Array(token.utf8))
            fuzzWriteSeed(directory, "mutate-\(index)", [1, UInt8(index), 0x00, 0x05, 0x01, 0x00, 0x40, 0x80])
        }
        let fields = [
            "ASIAFUZZ234567ABCDEF", "secret/with+base64=", "arn:aws:iam::123456789012:role/r", "sess\u{0}ion",
            "CN=\u{e9}l\u{e8}ve,O=\"Quoted\"\\", "arn:aws:rolesanywhere:us-east-1:1:trust-anchor/t", "p\n\r\t\u{7f}",
            "0a", "ff", "20261125T030405Z", "::1", "x509Subject/CN", "\u{1F600}",
        ]
        fuzzWriteSeed(directory, "claims", [2] + Array(fields.joined(separator: "\u{0}").utf8))
    }
    return 0
}
