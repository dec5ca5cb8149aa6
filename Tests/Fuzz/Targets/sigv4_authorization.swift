// SigV4 credentials: the `Authorization` header parser and the presigned-query parser
// (Sources/AnchorageCore/SigV4/SigV4Authorization.swift).
//
// Input: byte 0 even → the rest is an Authorization header value; odd → a raw query string.
// Invariants beyond "no crash":
//  - whatever parses has the documented shape (token algorithm, five-part scope ending in
//    aws4_request with a real YYYYMMDD date, sorted unique lowercase SignedHeaders, lowercase
//    even-length hex signature, X-Amz-Expires within 1...604800);
//  - re-serialising a parsed value in the canonical form parses to an equal value, for the header
//    and the presigned form alike, and the header form of a presigned value (without ',') parses to the same credentials;
//  - parsing is deterministic.
@testable import AnchorageCore

private func headerValue(_ auth: SigV4Authorization) -> String {
    "\(auth.algorithm) Credential=\(auth.credentialIdentifier)/\(auth.scope.string), "
        + "SignedHeaders=\(auth.signedHeadersString), Signature=\(auth.signature)"
}

private func encoded(_ text: String) -> String {
    var out: [UInt8] = []
    PercentEncoding.encode(Array(text.utf8), into: &out)
    return String(decoding: out, as: UTF8.self)
}

private func presignedQuery(_ auth: SigV4Authorization) -> String {
    var parts = [
        "X-Amz-Algorithm=\(encoded(auth.algorithm))",
        "X-Amz-Credential=\(encoded(auth.credentialIdentifier + "/" + auth.scope.string))",
        "X-Amz-Date=\(encoded(auth.amzDate!.string))",
        "X-Amz-Expires=\(auth.expires!)",
        "X-Amz-SignedHeaders=\(encoded(auth.signedHeadersString))",
        "X-Amz-Signature=\(encoded(auth.signature))",
    ]
    if let token = auth.securityToken { parts.append("X-Amz-Security-Token=\(encoded(token))") }
    return parts.reversed().joined(separator: "&")
}

private func isToken(_ text: String) -> Bool {
    !text.isEmpty
        && text.utf8.allSatisfy { byte in
            switch byte {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
            default: return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
            }
        }
}

private func checkShape(_ auth: SigV4Authorization) {
    fuzzCheck(isToken(auth.algorithm), "algorithm is not a token")
    let visible = { (text: String) in !text.isEmpty && text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != 0x2F } }
    fuzzCheck(visible(auth.credentialIdentifier), "credential identifier shape")
    fuzzCheck(visible(auth.scope.region) && visible(auth.scope.service), "scope region or service shape")
    fuzzCheck(AmzDate.isValidDatePart(auth.scope.date), "scope date \(auth.scope.date)")
    fuzzCheck(auth.scope.terminator == "aws4_request", "scope terminator")
    fuzzCheck(!auth.signedHeaders.isEmpty, "no signed headers")
    for (index, name) in auth.signedHeaders.enumerated() {
        fuzzCheck(isToken(name) && name.lowercased() == name, "signed header name \(name)")
        if index > 0 {
            fuzzCheck(
                auth.signedHeaders[index - 1].utf8.lexicographicallyPrecedes(name.utf8), "signed headers not sorted")
        }
    }
    fuzzCheck(
        !auth.signature.isEmpty && auth.signature.utf8.count % 2 == 0
            && auth.signature.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) },
        "signature is not lowercase even-length hex")
    if let expires = auth.expires { fuzzCheck((1...604_800).contains(expires), "X-Amz-Expires \(expires)") }
    if let token = auth.securityToken { fuzzCheck(!token.isEmpty, "empty security token") }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let mode = input.byte()
    let text = String(decoding: input.rest(), as: UTF8.self)
    if mode & 1 == 0 {
        guard let auth = try? SigV4Authorization.parse(text) else { return 0 }
        checkShape(auth)
        fuzzCheck(
            auth.amzDate == nil && auth.expires == nil && auth.securityToken == nil, "header form with presigned fields"
        )
        fuzzCheck((try? SigV4Authorization.parse(text)) == auth, "parse is not deterministic")
        let again = try? SigV4Authorization.parse(headerValue(auth))
        fuzzCheck(again == auth, "canonical re-serialisation does not parse back: \(headerValue(auth))")
    } else {
        guard let auth = try? SigV4Authorization.parsePresigned(rawQuery: text) else { return 0 }
        checkShape(auth)
        fuzzCheck(auth.amzDate != nil && auth.expires != nil, "presigned form without date or expiry")
        let again = try? SigV4Authorization.parsePresigned(rawQuery: presignedQuery(auth))
        fuzzCheck(again == auth, "canonical presigned query does not parse back: \(presignedQuery(auth))")
        var header = auth
        header.amzDate = nil
        header.expires = nil
        header.securityToken = nil
        // The header form splits fields on ',', which a decoded query value may hold.
        if !(auth.credentialIdentifier + auth.scope.string).contains(",") {
            let asHeader = try? SigV4Authorization.parse(headerValue(header))
            fuzzCheck(asHeader == header, "presigned credentials do not parse in the header form")
        }
        // The canonical query of a presigned request never carries the signature it is checked against.
        let canonical = CanonicalRequest.canonicalQueryString(rawQuery: text, excluding: ["X-Amz-Signature"])
        fuzzCheck(
            !canonical.split(separator: "&").contains { $0.hasPrefix("X-Amz-Signature=") },
            "X-Amz-Signature left in the canonical query")
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    fuzzWriteSeedsIfAsked { directory in
        let headers = [
            // botocore / aws-sig-v4-test-suite (post-vanilla-query).
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
            // iam_rolesanywhere_session (Tests/Fixtures/vectors/roles-anywhere): negative-free 160-bit serial, RSA signature.
            "AWS4-X509-RSA-SHA256 Credential=580983474099637577150592529484182699812734654561/20261125/us-east-1/rolesanywhere/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-x509;x-amz-x509-chain, Signature="
                + String(repeating: "5e", count: 256),
            // Fields reordered, no spaces after commas, negative serial (seen in the wild).
            "AWS4-X509-ECDSA-SHA256 Signature=3045022100ab,SignedHeaders=host;x-amz-date;x-amz-x509,Credential=-123456789/20240229/eu-west-1/rolesanywhere/aws4_request",
        ]
        for (index, header) in headers.enumerated() {
            fuzzWriteSeed(directory, "header-\(index)", [0] + Array(header.utf8))
        }
        let queries = [
            // aws-sig-v4-test-suite post-vanilla-query, presigned.
            "Param1=value1&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600&X-Amz-Signature=a9ef26247f293bffe40eeff86a0480ba8c14d31503b2e0c3399e3a16bf1a3682",
            // STS GetCallerIdentity presigned with a session token (as EKS tokens are).
            "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAEXAMPLE%2F20261125%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20261125T030405Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Security-Token=AQtva2VuK%2Fw%3D&X-Amz-Signature=00ff",
        ]
        for (index, query) in queries.enumerated() {
            fuzzWriteSeed(directory, "presigned-\(index)", [1] + Array(query.utf8))
        }
    }
    return 0
}
