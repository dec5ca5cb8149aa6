import AnchorageCore
import AnchorageCrypto
import Testing

/// The 38 AWS SigV4 cases through ``HMACRequestVerifier`` — the verifier the STS endpoint uses — in
/// header and presigned-query mode, with the secret found through a stub lookup; and every signed byte
/// of every case must matter to it.
@Suite struct STSVerifierVectorTests {
    /// 2015-08-30T12:36:00Z, the suite's signing time.
    static let now: Int64 = 1_440_938_160

    enum Mode: String, CaseIterable, Sendable {
        case header = "header-signed-request.txt"
        case query = "query-signed-request.txt"
    }

    /// The signed request of `name` in `mode`, as a server receives it.
    static func request(_ name: String, _ mode: Mode) throws -> SignedRequest {
        let raw = try SigV4TestVector.RawRequest(parsing: try SigV4TestVector.bytes(name, mode.rawValue))
        return SignedRequest(
            method: raw.method, rawPath: raw.path, rawQuery: raw.query, headers: raw.headers, body: raw.body,
            sourceAddress: "192.0.2.1")
    }

    /// A stub credential store: the suite's key, released only with the suite's token when it has one.
    static func lookup(_ vector: SigV4TestVector) -> (String, String?) throws(STSFailure) ->
        HMACRequestVerifier.Credential<String>
    {
        { (accessKeyId, token) throws(STSFailure) in
            guard accessKeyId == SigV4TestVector.accessKeyID else {
                throw STSFailure(.invalidClientTokenId, .invalidToken, "unknown key \(accessKeyId)")
            }
            guard token == vector.token else {
                throw STSFailure(.invalidClientTokenId, .invalidToken, "token mismatch")
            }
            return HMACRequestVerifier.Credential(secretAccessKey: SigV4TestVector.secret, principal: accessKeyId)
        }
    }

    static func verifier(_ vector: SigV4TestVector) -> HMACRequestVerifier {
        HMACRequestVerifier(service: "service", normalizePath: vector.normalize)
    }

    static func verifies(_ request: SignedRequest, _ vector: SigV4TestVector) -> Bool {
        (try? verifier(vector).verify(request, now: now, lookup: lookup(vector))) != nil
    }

    @Test func findsAllThirtyEightCases() {
        #expect(SigV4TestVector.caseNames.count == 38)
    }

    @Test(arguments: SigV4TestVector.caseNames, Mode.allCases)
    func verifies(_ name: String, _ mode: Mode) throws {
        let vector = try SigV4TestVector(named: name)
        let request = try Self.request(name, mode)
        let verified = try Self.verifier(vector).verify(request, now: Self.now, lookup: Self.lookup(vector))
        #expect(verified.accessKeyId == SigV4TestVector.accessKeyID)
        #expect(verified.principal == SigV4TestVector.accessKeyID)
        #expect(verified.scope == SigV4TestVector.scope)
        #expect(verified.isPresigned == (mode == .query))
        #expect(verified.requestTime == Self.now)
    }

    @Test(arguments: SigV4TestVector.caseNames, Mode.allCases)
    func wrongSecretFails(_ name: String, _ mode: Mode) throws {
        let vector = try SigV4TestVector(named: name)
        let request = try Self.request(name, mode)
        #expect(throws: STSFailure.self) {
            try Self.verifier(vector).verify(request, now: Self.now) { (_, _) throws(STSFailure) in
                HMACRequestVerifier.Credential(secretAccessKey: SigV4TestVector.secret + "x", principal: "")
            }
        }
    }

    @Test(arguments: SigV4TestVector.caseNames, Mode.allCases)
    func everySignedByteMatters(_ name: String, _ mode: Mode) throws {
        let vector = try SigV4TestVector(named: name)
        let original = try Self.request(name, mode)
        try #require(Self.verifies(original, vector))
        let signedHeaders: [String]
        switch mode {
        case .header:
            let authorization = try #require(original.header("authorization"))
            signedHeaders = try SigV4Authorization.parse(authorization).signedHeaders
        case .query:
            signedHeaders = try SigV4Authorization.parsePresigned(rawQuery: original.rawQuery ?? "").signedHeaders
        }
        func flipped(_ text: String, at index: Int) -> String {
            String(decoding: SigV4TamperTests.flipped(Array(text.utf8), at: index), as: UTF8.self)
        }
        var attempts = 0
        for index in SigV4TamperTests.positions(original.method.utf8.count) {
            var request = original
            request.method = flipped(original.method, at: index)
            #expect(!Self.verifies(request, vector), "method byte \(index)")
            attempts += 1
        }
        for index in SigV4TamperTests.positions(original.rawPath.utf8.count) {
            var request = original
            request.rawPath = flipped(original.rawPath, at: index)
            attempts += 1
            guard Self.verifies(request, vector) else { continue }
            // Only normalisation may absorb a change (a byte of a segment that `..` removes).
            let before = CanonicalRequest.canonicalURI(rawPath: original.rawPath, normalize: vector.normalize)
            let after = CanonicalRequest.canonicalURI(rawPath: request.rawPath, normalize: vector.normalize)
            #expect(vector.normalize && before == after, "path byte \(index)")
        }
        if let query = original.rawQuery {
            for index in SigV4TamperTests.positions(query.utf8.count, limit: 400) {
                var request = original
                request.rawQuery = flipped(query, at: index)
                #expect(!Self.verifies(request, vector), "query byte \(index)")
                attempts += 1
            }
        }
        for (headerIndex, header) in original.headers.enumerated()
        where signedHeaders.contains(header.name.lowercased()) {
            for index in SigV4TamperTests.positions(header.value.utf8.count) {
                var request = original
                request.headers[headerIndex].value = flipped(header.value, at: index)
                #expect(!Self.verifies(request, vector), "\(header.name) byte \(index)")
                attempts += 1
            }
        }
        if vector.signBody {
            for index in SigV4TamperTests.positions(original.body.count) {
                var request = original
                request.body = SigV4TamperTests.flipped(original.body, at: index)
                #expect(!Self.verifies(request, vector), "body byte \(index)")
                attempts += 1
            }
        }
        // The signature itself: any other value fails.
        for index in [0, 31, 63] {
            var request = original
            switch mode {
            case .header:
                let position = try #require(request.headers.firstIndex { $0.name == "Authorization" })
                var value = Array(request.headers[position].value.utf8)
                let signatureStart = value.count - 64
                value[signatureStart + index] =
                    value[signatureStart + index] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
                request.headers[position].value = String(decoding: value, as: UTF8.self)
            case .query:
                var value = Array((request.rawQuery ?? "").utf8)
                let signatureStart = try #require(request.rawQuery?.range(of: "X-Amz-Signature=")).upperBound
                    .utf16Offset(in: request.rawQuery!)
                value[signatureStart + index] =
                    value[signatureStart + index] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
                request.rawQuery = String(decoding: value, as: UTF8.self)
            }
            #expect(!Self.verifies(request, vector), "signature digit \(index)")
        }
        #expect(attempts >= 3)
    }
}
