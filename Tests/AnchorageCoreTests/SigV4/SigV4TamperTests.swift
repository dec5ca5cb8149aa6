import AnchorageCore
import AnchorageCrypto
import Testing

/// Changing any single signed byte must change the signature: the canonicalisation may not
/// silently drop or fold input it should cover.
@Suite struct SigV4TamperTests {
    /// Header-mode request parts of one vector, mutable byte by byte.
    struct Parts {
        var method: [UInt8]
        var path: [UInt8]
        var query: [UInt8]?
        var headers: [(name: String, value: [UInt8])]
        var body: [UInt8]
    }

    // XOR 0x40 maps every byte the vectors contain to a byte that is canonicalised differently:
    // letters and digits to punctuation, whitespace and separators to letters, and never a hex
    // digit to its other case (which `%XX` decoding would fold).
    static func flipped(_ bytes: [UInt8], at index: Int) -> [UInt8] {
        var copy = bytes
        copy[index] ^= 0x40
        return copy
    }

    /// At most `limit` positions spread over `count`, always including the first and last.
    static func positions(_ count: Int, limit: Int = 48) -> [Int] {
        guard count > limit else { return Array(0..<count) }
        return (0..<limit).map { $0 * (count - 1) / (limit - 1) }
    }

    static func signature(_ parts: Parts, signedHeaders: [String], signBody: Bool, normalize: Bool) -> String {
        let canonicalRequest = CanonicalRequest.make(
            method: String(decoding: parts.method, as: UTF8.self),
            rawPath: String(decoding: parts.path, as: UTF8.self),
            rawQuery: parts.query.map { String(decoding: $0, as: UTF8.self) },
            headers: parts.headers.map { ($0.name, String(decoding: $0.value, as: UTF8.self)) },
            signedHeaders: signedHeaders,
            payloadHash: signBody ? Digest.sha256Hex(parts.body) : SigV4TestVector.emptyPayloadHash,
            normalizePath: normalize
        )
        let stringToSign = StringToSign.make(
            algorithm: HMACSigner.algorithm, amzDate: SigV4TestVector.amzDate, scope: SigV4TestVector.scope,
            canonicalRequest: canonicalRequest)
        return HMACSigner.signature(signingKey: SigV4VectorTests.signingKey, stringToSign: stringToSign)
    }

    @Test(arguments: SigV4TestVector.caseNames)
    func everySignedByteMatters(_ name: String) throws {
        let vector = try SigV4TestVector(named: name)
        let signedRequest = try SigV4TestVector.RawRequest(
            parsing: try SigV4TestVector.bytes(name, "header-signed-request.txt"))
        let signedHeaders = try SigV4Authorization.parse(try #require(signedRequest.headerValue("Authorization")))
            .signedHeaders
        let original = Parts(
            method: Array(vector.request.method.utf8),
            path: Array(vector.request.path.utf8),
            query: vector.request.query.map { Array($0.utf8) },
            headers: vector.headerModeHeaders.map { ($0.name, Array($0.value.utf8)) },
            body: vector.request.body
        )
        func sign(_ parts: Parts) -> String {
            Self.signature(parts, signedHeaders: signedHeaders, signBody: vector.signBody, normalize: vector.normalize)
        }
        let baseline = sign(original)
        #expect(baseline == (try vector.expected("header-signature.txt")))
        var attempts = 0

        for index in Self.positions(original.method.count) {
            var parts = original
            parts.method = Self.flipped(parts.method, at: index)
            #expect(sign(parts) != baseline, "method byte \(index)")
            attempts += 1
        }
        for index in Self.positions(original.path.count) {
            var parts = original
            parts.path = Self.flipped(parts.path, at: index)
            attempts += 1
            if sign(parts) != baseline { continue }
            // Only normalisation may absorb a change, e.g. a byte of a segment that `..` removes.
            let before = CanonicalRequest.canonicalURI(rawPath: vector.request.path, normalize: vector.normalize)
            let after = CanonicalRequest.canonicalURI(
                rawPath: String(decoding: parts.path, as: UTF8.self), normalize: vector.normalize)
            #expect(vector.normalize && before == after, "path byte \(index)")
        }
        if let query = original.query {
            for index in Self.positions(query.count) {
                var parts = original
                parts.query = Self.flipped(query, at: index)
                #expect(sign(parts) != baseline, "query byte \(index)")
                attempts += 1
            }
        }
        for (headerIndex, header) in original.headers.enumerated()
        where signedHeaders.contains(header.name.lowercased()) {
            for index in Self.positions(header.value.count) {
                var parts = original
                parts.headers[headerIndex].value = Self.flipped(header.value, at: index)
                #expect(sign(parts) != baseline, "\(header.name) byte \(index)")
                attempts += 1
            }
        }
        if vector.signBody {
            for index in Self.positions(original.body.count) {
                var parts = original
                parts.body = Self.flipped(original.body, at: index)
                #expect(sign(parts) != baseline, "body byte \(index)")
                attempts += 1
            }
        }
        #expect(attempts >= 3)
    }

    @Test func rolesAnywhereStringToSignCoversBodyAndCertificate() throws {
        let request = try RolesAnywhereTestVector().requests[1]
        let authorization = try SigV4Authorization.parse(try #require(request.headerValue("Authorization")))
        func stringToSign(headers: [(name: String, value: String)], body: [UInt8]) -> String {
            X509RequestSigner.canonicalRequestAndStringToSign(
                method: request.method, rawPath: request.path, rawQuery: nil, headers: headers,
                signedHeaders: authorization.signedHeaders, body: body, algorithm: authorization.algorithm,
                amzDate: "20261125T030405Z", scope: authorization.scope
            ).stringToSign
        }
        let baseline = stringToSign(headers: request.headers, body: request.body)
        for index in Self.positions(request.body.count) {
            #expect(stringToSign(headers: request.headers, body: Self.flipped(request.body, at: index)) != baseline)
        }
        for name in ["X-Amz-X509", "X-Amz-X509-Chain", "Host", "Content-Type"] {
            let headerIndex = try #require(request.headers.firstIndex { $0.name == name })
            let value = Array(request.headers[headerIndex].value.utf8)
            for index in Self.positions(value.count) {
                var headers = request.headers
                headers[headerIndex].value = String(decoding: Self.flipped(value, at: index), as: UTF8.self)
                #expect(stringToSign(headers: headers, body: request.body) != baseline, "\(name) byte \(index)")
            }
        }
    }
}
