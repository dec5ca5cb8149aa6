import AnchorageBasics

/// The parsed SigV4 credentials of a request, from an `Authorization` header or a presigned query.
///
/// `Authorization: <Algorithm> Credential=<id>/<yyyymmdd>/<region>/<service>/aws4_request,
/// SignedHeaders=a;b;c, Signature=<hex>`. Parsing checks shape only; whether the algorithm is
/// supported, the scope matches the server and the signature verifies is the caller's decision.
public struct SigV4Authorization: Hashable, Sendable {
    /// E.g. `AWS4-HMAC-SHA256` or `AWS4-X509-RSA-SHA256`; any token is accepted here.
    public var algorithm: String
    /// The part of the credential before the scope: an access key id, or for Roles Anywhere the
    /// leaf certificate's serial number in decimal (possibly negative, up to ~49 digits).
    public var credentialIdentifier: String
    public var scope: CredentialScope
    /// Lowercase header names, strictly ascending, at least one.
    public var signedHeaders: [String]
    /// Lowercase hex of even length: 64 characters for HMAC, longer for RSA, ECDSA and ML-DSA.
    public var signature: String
    /// Presigned requests only: `X-Amz-Date`.
    public var amzDate: AmzDate?
    /// Presigned requests only: `X-Amz-Expires`, in seconds (1...604800).
    public var expires: Int?
    /// Presigned requests only: `X-Amz-Security-Token`, decoded, when present.
    public var securityToken: String?

    /// Creates credentials from already-validated parts (for signing and tests).
    public init(
        algorithm: String,
        credentialIdentifier: String,
        scope: CredentialScope,
        signedHeaders: [String],
        signature: String,
        amzDate: AmzDate? = nil,
        expires: Int? = nil,
        securityToken: String? = nil
    ) {
        self.algorithm = algorithm
        self.credentialIdentifier = credentialIdentifier
        self.scope = scope
        self.signedHeaders = signedHeaders
        self.signature = signature
        self.amzDate = amzDate
        self.expires = expires
        self.securityToken = securityToken
    }

    /// `SignedHeaders` as it appears on the wire and in the canonical request: `a;b;c`.
    public var signedHeadersString: String { signedHeaders.joined(separator: ";") }

    /// The longest `X-Amz-Expires` SigV4 allows: seven days.
    public static let maximumExpires = 604_800

    // MARK: - Authorization header

    /// Parses an `Authorization` header value.
    ///
    /// The three fields may be separated by `,` with or without spaces and may come in any order,
    /// but each must appear exactly once; unknown fields are rejected.
    public static func parse(_ headerValue: String) throws(SigV4ParseError) -> SigV4Authorization {
        // Integer offsets into one byte array: String.UTF8View index arithmetic cost several microseconds per
        // request here.
        let bytes = Array(headerValue.utf8)
        let text = bytes[...].trimmingSpacesAndTabs()
        guard !text.isEmpty else { throw SigV4ParseError("empty Authorization header") }
        guard let space = text.firstIndex(where: ASCII.isSpaceOrTab) else {
            throw SigV4ParseError("Authorization header has an algorithm but no fields")
        }
        let algorithm = text[..<space]
        guard algorithm.allSatisfy(isTokenCharacter) else {
            throw SigV4ParseError("algorithm is not a token")
        }
        var credential: ArraySlice<UInt8>?
        var signedHeaders: ArraySlice<UInt8>?
        var signature: ArraySlice<UInt8>?
        var fieldStart = space
        while fieldStart <= text.endIndex {
            let fieldEnd = text[fieldStart...].firstIndex(of: UInt8(ascii: ",")) ?? text.endIndex
            let field = text[fieldStart..<fieldEnd].trimmingSpacesAndTabs()
            fieldStart = fieldEnd + 1
            guard !field.isEmpty else { throw SigV4ParseError("empty field in Authorization header") }
            guard let equals = field.firstIndex(of: UInt8(ascii: "=")) else {
                throw SigV4ParseError("Authorization field without '=': \(excerpt(field))")
            }
            let name = field[..<equals]
            let value = field[(equals + 1)...]
            if name.elementsEqual("Credential".utf8) {
                guard credential == nil else { throw SigV4ParseError("duplicate Credential field") }
                credential = value
            } else if name.elementsEqual("SignedHeaders".utf8) {
                guard signedHeaders == nil else { throw SigV4ParseError("duplicate SignedHeaders field") }
                signedHeaders = value
            } else if name.elementsEqual("Signature".utf8) {
                guard signature == nil else { throw SigV4ParseError("duplicate Signature field") }
                signature = value
            } else {
                throw SigV4ParseError("unknown Authorization field '\(string(name).prefix(40))'")
            }
        }
        guard let credential else { throw SigV4ParseError("missing Credential field") }
        guard let signedHeaders else { throw SigV4ParseError("missing SignedHeaders field") }
        guard let signature else { throw SigV4ParseError("missing Signature field") }
        let (identifier, scope) = try parseCredential(credential)
        return SigV4Authorization(
            algorithm: string(algorithm),
            credentialIdentifier: identifier,
            scope: scope,
            signedHeaders: try parseSignedHeaders(signedHeaders),
            signature: try parseSignature(signature)
        )
    }

    // MARK: - Presigned query

    /// The query parameters that carry presigned credentials; a verifier excludes
    /// `X-Amz-Signature` from the canonical query.
    public static let presignedParameterNames: Set<String> = [
        "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
        "X-Amz-Signature", "X-Amz-Security-Token",
    ]

    /// Parses presigned-URL credentials from a raw (percent-encoded) query string.
    ///
    /// `X-Amz-Algorithm`, `-Credential`, `-Date`, `-Expires`, `-SignedHeaders` and `-Signature` are
    /// required and `X-Amz-Security-Token` is optional; each may appear at most once. Other
    /// parameters are ignored here (they are still signed).
    public static func parsePresigned(rawQuery: String) throws(SigV4ParseError) -> SigV4Authorization {
        var found: [String: [UInt8]] = [:]
        for parameter in CanonicalRequest.decodedQueryParameters(rawQuery) {
            let name = String(decoding: parameter.name, as: UTF8.self)
            guard presignedParameterNames.contains(name) else { continue }
            guard found[name] == nil else { throw SigV4ParseError("duplicate \(name) parameter") }
            found[name] = parameter.value
        }
        func required(_ name: String) throws(SigV4ParseError) -> [UInt8] {
            guard let value = found[name] else { throw SigV4ParseError("missing \(name) parameter") }
            return value
        }
        let algorithm = try required("X-Amz-Algorithm")
        guard !algorithm.isEmpty, algorithm.allSatisfy(isTokenCharacter) else {
            throw SigV4ParseError("X-Amz-Algorithm is not a token")
        }
        let (identifier, scope) = try parseCredential(try required("X-Amz-Credential")[...])
        let signedHeadersBytes = try required("X-Amz-SignedHeaders")
        let signatureBytes = try required("X-Amz-Signature")
        guard let date = AmzDate(String(decoding: try required("X-Amz-Date"), as: UTF8.self)) else {
            throw SigV4ParseError("X-Amz-Date is not YYYYMMDDTHHMMSSZ")
        }
        let expiresBytes = try required("X-Amz-Expires")
        // At most seven digits keeps the conversion from overflowing before the range check.
        guard !expiresBytes.isEmpty, expiresBytes.count <= 7, expiresBytes.allSatisfy(isDigit),
            let expires = Int(String(decoding: expiresBytes, as: UTF8.self)), (1...maximumExpires).contains(expires)
        else { throw SigV4ParseError("X-Amz-Expires must be a whole number of seconds from 1 to \(maximumExpires)") }
        var token: String?
        if let tokenBytes = found["X-Amz-Security-Token"] {
            guard !tokenBytes.isEmpty else { throw SigV4ParseError("empty X-Amz-Security-Token parameter") }
            token = String(decoding: tokenBytes, as: UTF8.self)
        }
        return SigV4Authorization(
            algorithm: String(decoding: algorithm, as: UTF8.self),
            credentialIdentifier: identifier,
            scope: scope,
            signedHeaders: try parseSignedHeaders(signedHeadersBytes[...]),
            signature: try parseSignature(signatureBytes[...]),
            amzDate: date,
            expires: expires,
            securityToken: token
        )
    }

    // MARK: - Fields

    private static func parseCredential(_ value: ArraySlice<UInt8>) throws(SigV4ParseError) -> (String, CredentialScope)
    {
        let parts = value.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        guard parts.count == 5 else {
            throw SigV4ParseError(
                "Credential must be <id>/<date>/<region>/<service>/aws4_request, found \(parts.count) parts")
        }
        for part in parts where part.isEmpty || !part.allSatisfy(isVisibleASCII) {
            throw SigV4ParseError("Credential has an empty part or one with spaces or non-ASCII bytes")
        }
        let date = string(parts[1])
        guard AmzDate.isValidDatePart(date) else {
            throw SigV4ParseError("Credential date '\(date.prefix(16))' is not YYYYMMDD")
        }
        let terminator = string(parts[4])
        guard terminator == CredentialScope.sigV4Terminator else {
            throw SigV4ParseError("Credential scope must end in aws4_request")
        }
        let scope = CredentialScope(
            date: date, region: string(parts[2]), service: string(parts[3]), terminator: terminator)
        return (string(parts[0]), scope)
    }

    private static func parseSignedHeaders(_ value: ArraySlice<UInt8>) throws(SigV4ParseError) -> [String] {
        guard !value.isEmpty else { throw SigV4ParseError("SignedHeaders is empty") }
        var names: [String] = []
        for part in value.split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: false) {
            guard !part.isEmpty, part.allSatisfy(isTokenCharacter) else {
                throw SigV4ParseError("SignedHeaders has an empty or invalid header name")
            }
            guard !part.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) else {
                throw SigV4ParseError("SignedHeaders must be lowercase")
            }
            let name = string(part)
            // Byte order, which is what the signer sorts by; strictness also rules out duplicates.
            if let previous = names.last, !previous.utf8.lexicographicallyPrecedes(name.utf8) {
                throw SigV4ParseError(
                    "SignedHeaders must be sorted and unique ('\(name.prefix(40))' after '\(previous.prefix(40))')")
            }
            names.append(name)
        }
        return names
    }

    private static func parseSignature(_ value: ArraySlice<UInt8>) throws(SigV4ParseError) -> String {
        guard !value.isEmpty, value.count % 2 == 0 else {
            throw SigV4ParseError("Signature must be non-empty hex of even length")
        }
        guard value.allSatisfy({ isDigit($0) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f")) }) else {
            throw SigV4ParseError("Signature must be lowercase hex")
        }
        return string(value)
    }

    // MARK: - Bytes

    /// The slices passed here are cut at ASCII delimiters of a valid string (or checked to be ASCII), so decoding
    /// repairs nothing.
    private static func string(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }

    /// The start of untrusted input for an error message; decoding bytes, so a cut through a
    /// multi-byte character yields U+FFFD rather than a misaligned index.
    private static func excerpt(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix(40), as: UTF8.self)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private static func isVisibleASCII(_ byte: UInt8) -> Bool { byte > 0x20 && byte < 0x7F }

    /// RFC 9110 `tchar`.
    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "a")...UInt8(ascii: "z"):
            return true
        default:
            return tokenPunctuation[Int(byte)]
        }
    }

    /// The punctuation of `tchar`, indexed by byte (built once, not per byte checked).
    private static let tokenPunctuation: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for byte in "!#$%&'*+-.^_`|~".utf8 { table[Int(byte)] = true }
        return table
    }()
}
