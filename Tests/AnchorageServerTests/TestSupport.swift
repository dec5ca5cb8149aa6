import AnchorageConfigFixtures
import AnchorageCore
import AnchorageCrypto
import AnchorageHTTP
import Foundation
import Testing

// MARK: - Signing CreateSession requests (test-side SigV4-X509)

enum RequestSigner {
    static let host = "anchorage.test"

    static func createSessionBody(
        trustAnchorArn: String = anchorArn, profileArn: String = profileArn, roleArn: String = roleArn
    ) -> [UInt8] {
        Array(
            #"{"profileArn":"\#(profileArn)","roleArn":"\#(roleArn)","trustAnchorArn":"\#(trustAnchorArn)"}"#.utf8)
    }

    /// A `POST /sessions` signed with `key` for `leaf` at `now`, as AWS's helper sends it.
    static func signedCreateSession(
        leaf: Certificate, key: PrivateKey, now: Int64 = testNow, body: [UInt8] = createSessionBody(),
        contentType: String? = "application/json", remoteAddress: String = "203.0.113.7", host: String = host,
        query: String? = nil
    ) throws -> HTTPRequest {
        let amzDate = AmzDate(secondsSinceEpoch: now)!
        var headers: [(name: String, value: String)] = []
        if let contentType { headers.append((name: "Content-Type", value: contentType)) }
        headers.append((name: "Host", value: host))
        headers.append((name: "X-Amz-Date", value: amzDate.string))
        headers.append((name: "X-Amz-X509", value: Base64.encode(leaf.derBytes)))
        let signedHeaders = headers.map { $0.name.lowercased() }.sorted()
        let scope = CredentialScope(date: amzDate.datePart, region: "us-east-1", service: "rolesanywhere")
        let algorithm = "AWS4-X509-ECDSA-SHA256"
        let stringToSign = X509RequestSigner.canonicalRequestAndStringToSign(
            method: "POST", rawPath: "/sessions", rawQuery: query, headers: headers, signedHeaders: signedHeaders,
            body: body, algorithm: algorithm, amzDate: amzDate.string, scope: scope
        ).stringToSign
        let signature = try key.signSHA256(Array(stringToSign.utf8))
        headers.append(
            (
                name: "Authorization",
                value:
                    "\(algorithm) Credential=\(leaf.serialNumberDecimal)/\(scope.string), SignedHeaders=\(signedHeaders.joined(separator: ";")), Signature=\(Hex.encode(signature))"
            ))
        return HTTPRequest(
            method: "POST", target: "/sessions" + (query.map { "?" + $0 } ?? ""), headers: HTTPHeaders(headers),
            body: body,
            remoteAddress: remoteAddress)
    }
}

// MARK: - JSON helpers

extension JSONValue {
    /// Member names of an object, in document order ([] for anything else).
    var keys: [String] {
        guard case .object(let members) = self else { return [] }
        return members.map(\.key)
    }

    subscript(index: Int) -> JSONValue? {
        guard case .array(let items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }
}

extension HTTPResponse {
    var bodyText: String { String(decoding: body, as: UTF8.self) }
    func json() throws -> JSONValue { try JSONParser.parse(body) }
}
