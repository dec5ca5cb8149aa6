import AnchorageCrypto

// The STS query API's input side: QueryParameters (query string and form body), STSAction, and the
// whole STSService decision (HMAC verification, session-token lookup, revocation, action).
//
// Input: a request in the aws-sig-v4-test-suite `request.txt` form — `METHOD target HTTP/1.1`,
// `Name:value` lines, an empty line, the body. The seeds are GetCallerIdentity and
// GetSessionContext requests signed in-process with a session sealed under a test keyring.
// Invariants beyond "no crash":
//  - a query or form that decodes re-encodes (strict percent-encoding) to one that decodes to the
//    same pairs, and percentDecode inverts that encoding;
//  - the action STSAction reports is the one Action value present;
//  - STSService answers success only for a request bearing the genuine session token, its secret
//    and a valid signature at the fixed clock — i.e. claims equal to the sealed ones, unexpired — and
//    no answer or detail ever carries the session's secret access key.
@testable import AnchorageCore

private struct FixedRandom: RandomSource {
    var salt: UInt8
    func bytes(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 41 &+ Int(salt)) } }
}

/// Test-only key (bytes 100...131): never a production secret.
private let keyring = try! TokenKeyring(keys: [TokenKeyring.Key(id: "fuzz-sts", secret: Array(100..<132))])
private let amzDate = "20261125T030405Z"
private let now = AmzDate(amzDate)!.secondsSinceEpoch
private let claims = SessionClaims(
    accessKeyId: "ASIAFUZZSTS234567ABC", secretAccessKey: "ZnV6ei1vbmx5LXNlY3JldC1mb3Itc3RzLXRlc3Rz",
    roleArn: "arn:aws:iam::123456789012:role/web-reader", roleSessionName: "alice",
    sourceIdentity: "CN=alice", principalTags: [PrincipalTag(key: "x509Subject/CN", value: "alice")],
    trustAnchorArn: "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/4a1c52e0-7d6b-4b7e-9a55-0e6f4c3b9d21",
    profileArn: "arn:aws:rolesanywhere:us-east-1:123456789012:profile/8f0e2a3b-1c4d-4e5f-8a9b-0c1d2e3f4a5b",
    certificateSerialHex: "0a1b", certificateSHA256: String(repeating: "cd", count: 32), issuedAt: now - 60,
    expiresAt: now + 3600, sourceAddress: "192.0.2.7")
private let token = SessionToken.seal(claims, keyring: keyring, random: FixedRandom(salt: 9))
private let service = STSService(keyring: keyring)
private let configuration = Configuration(generation: 1, trustAnchors: [], profiles: [], roles: [])

// MARK: - Request text

private func parseRequest(_ bytes: [UInt8]) -> SignedRequest? {
    var headEnd = bytes.count
    var bodyStart = bytes.count
    if bytes.count >= 2 {
        for index in 0..<(bytes.count - 1) where bytes[index] == 0x0A && bytes[index + 1] == 0x0A {
            headEnd = index
            bodyStart = index + 2
            break
        }
    }
    let lines = bytes[..<headEnd].split(separator: 0x0A, omittingEmptySubsequences: false).map {
        String(decoding: $0, as: UTF8.self)
    }
    guard let requestLine = lines.first, let firstSpace = requestLine.firstIndex(of: " ") else { return nil }
    var target = Substring(requestLine[requestLine.index(after: firstSpace)...])
    if let space = target.lastIndex(of: " "), target[target.index(after: space)...].hasPrefix("HTTP/") {
        target = target[..<space]
    }
    var path = String(target)
    var query: String?
    if let mark = target.firstIndex(of: "?") {
        path = String(target[..<mark])
        query = String(target[target.index(after: mark)...])
    }
    var headers: [(name: String, value: String)] = []
    for line in lines.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
    }
    return SignedRequest(
        method: String(requestLine[..<firstSpace]), rawPath: path, rawQuery: query, headers: headers,
        body: Array(bytes[bodyStart...]), sourceAddress: "192.0.2.7")
}

private func requestText(_ request: SignedRequest) -> [UInt8] {
    var text = "\(request.method) \(request.rawPath)\(request.rawQuery.map { "?" + $0 } ?? "") HTTP/1.1\n"
    for (name, value) in request.headers { text += "\(name):\(value)\n" }
    return Array((text + "\n").utf8) + request.body
}

// MARK: - Form encoding

private func strictlyEncoded(_ text: String) -> String {
    var out = ""
    for byte in text.utf8 {
        switch byte {
        case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
            UInt8(ascii: "~"):
            out.unicodeScalars.append(Unicode.Scalar(byte))
        default:
            let hex = Array("0123456789ABCDEF".utf8)
            out += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 15)]], as: UTF8.self)
        }
    }
    return out
}

private func checkForm(_ raw: String?) {
    for plusAsSpace in [true, false] {
        guard let pairs = QueryParameters.parse(raw, plusAsSpace: plusAsSpace) else { continue }
        let encoded = pairs.map { strictlyEncoded($0.name) + "=" + strictlyEncoded($0.value) }.joined(separator: "&")
        let again = QueryParameters.parse(encoded, plusAsSpace: plusAsSpace)
        let expected = pairs
        fuzzCheck(
            again.map {
                $0.count == expected.count
                    && zip($0, expected).allSatisfy { $0.name == $1.name && $0.value == $1.value }
            } == true,
            "form pairs do not survive strict re-encoding")
        for pair in pairs {
            fuzzCheck(
                QueryParameters.percentDecode(Substring(strictlyEncoded(pair.value)), plusAsSpace: plusAsSpace)
                    == pair.value,
                "percentDecode does not invert percent-encoding")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let request = parseRequest(Array(UnsafeBufferPointer(start: data, count: size))) else { return 0 }
    checkForm(request.rawQuery)
    checkForm(String(decoding: request.body, as: UTF8.self))

    let action = try? STSAction.requested(by: request)
    if let action {
        let values = Set((STSAction.parameters(of: request) ?? []).filter { $0.name == "Action" }.map(\.value))
        fuzzCheck(values == [action.rawValue], "STSAction \(action) for Action values \(values)")
    }

    let outcome = service.handle(request, configuration: configuration, now: now)
    let json = STSResponse.wantsJSON(request)
    switch outcome.result {
    case .success(let identity):
        fuzzCheck(outcome.session == claims, "success for claims that were never sealed")
        fuzzCheck(now < claims.expiresAt, "success for an expired session")
        fuzzCheck(outcome.action == action && action != nil, "success without the action")
        let body = STSResponse.success(
            action!, identity: identity, session: outcome.session!, requestId: "r", json: json)
        fuzzCheck(
            !String(decoding: body.bytes, as: UTF8.self).contains(claims.secretAccessKey), "secret in the response")
    case .failure(let failure):
        let body = STSResponse.error(failure.error, requestId: "r", json: json)
        for text in [String(decoding: body.bytes, as: UTF8.self), failure.detail, failure.error.message] {
            fuzzCheck(!text.contains(claims.secretAccessKey), "secret access key in an error or detail")
        }
    }
    return 0
}

// MARK: - Seeds

private func signed(
    method: String, path: String, query: String?, headers: [(String, String)], body: String, presigned: Bool = false
) -> SignedRequest {
    let scope = CredentialScope(date: String(amzDate.prefix(8)), region: "us-east-1", service: "sts")
    let key = HMACSigner.signingKey(
        secret: claims.secretAccessKey, date: scope.date, region: scope.region, service: scope.service)
    var headers = headers.map { (name: $0.0, value: $0.1) }
    var query = query
    let signedNames =
        (headers.map { $0.name.lowercased() } + (presigned ? [] : ["x-amz-date", "x-amz-security-token"])).sorted()
    if presigned {
        let credential = strictlyEncoded("\(claims.accessKeyId)/\(scope.string)")
        query =
            (query.map { $0 + "&" } ?? "")
            + "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=\(credential)&X-Amz-Date=\(amzDate)&X-Amz-Expires=900"
            + "&X-Amz-SignedHeaders=\(strictlyEncoded(signedNames.joined(separator: ";")))&X-Amz-Security-Token=\(strictlyEncoded(token))"
    } else {
        headers += [(name: "X-Amz-Date", value: amzDate), (name: "X-Amz-Security-Token", value: token)]
    }
    let canonical = CanonicalRequest.make(
        method: method, rawPath: path, rawQuery: query, headers: headers, signedHeaders: signedNames,
        payloadHash: Digest.sha256Hex(Array(body.utf8)))
    let signature = HMACSigner.signature(
        signingKey: key,
        stringToSign: StringToSign.make(
            algorithm: HMACSigner.algorithm, amzDate: amzDate, scope: scope, canonicalRequest: canonical))
    if presigned {
        query! += "&X-Amz-Signature=\(signature)"
    } else {
        headers.append(
            (
                name: "Authorization",
                value:
                    "AWS4-HMAC-SHA256 Credential=\(claims.accessKeyId)/\(scope.string), SignedHeaders=\(signedNames.joined(separator: ";")), Signature=\(signature)"
            ))
    }
    return SignedRequest(
        method: method, rawPath: path, rawQuery: query, headers: headers, body: Array(body.utf8),
        sourceAddress: "192.0.2.7")
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    fuzzWriteSeedsIfAsked { directory in
        let seeds: [(String, SignedRequest)] = [
            (
                "post-form",
                signed(
                    method: "POST", path: "/", query: nil,
                    headers: [
                        ("Host", "sts.us-east-1.amazonaws.com"),
                        ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
                    ],
                    body: "Action=GetCallerIdentity&Version=2011-06-15")
            ),
            (
                "get-context-json",
                signed(
                    method: "GET", path: "/", query: "Action=GetSessionContext&Version=2011-06-15",
                    headers: [("Host", "127.0.0.1:8443"), ("Accept", "application/json")], body: "")
            ),
            (
                "presigned",
                signed(
                    method: "GET", path: "/", query: "Action=GetCallerIdentity&Version=2011-06-15",
                    headers: [("host", "sts.amazonaws.com"), ("x-k8s-aws-id", "cluster")], body: "", presigned: true)
            ),
            (
                "post-form-plus",
                signed(
                    method: "POST", path: "/", query: "Version=2011-06-15",
                    headers: [("Host", "sts.amazonaws.com")], body: "Action=GetCallerIdentity&Extra=a+b%20c%E2%9C%93")
            ),
        ]
        for (name, request) in seeds {
            let outcome = service.handle(request, configuration: configuration, now: now)
            guard case .success = outcome.result else {
                fuzzCheck(false, "seed \(name) does not verify: \(outcome.result)")
                return
            }
            fuzzWriteSeed(directory, name, requestText(request))
        }
    }
    return 0
}
