/// The SigV4 canonical request for non-S3 services, built exactly as botocore and aws-c-auth build it.
///
/// `METHOD \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n PayloadHash`,
/// where CanonicalHeaders ends in its own `\n`, so a blank line precedes SignedHeaders.
/// Everything works on the request *as received*: the raw (still percent-encoded) path and query,
/// and header values before any server-side interpretation.
public enum CanonicalRequest {
    /// Builds the canonical request.
    ///
    /// - Parameters:
    ///   - method: the request method, used verbatim (methods are case-sensitive).
    ///   - rawPath: the path of the request target as sent, without the query.
    ///   - rawQuery: the text after `?`, as sent; nil or empty when there is none.
    ///   - headers: every received header in order; names are matched case-insensitively.
    ///   - signedHeaders: lowercase header names in the order they are to appear (sorted, as in
    ///     `SignedHeaders`). A name with no received header contributes an empty value, which can
    ///     only make verification fail.
    ///   - payloadHash: the last line, normally lowercase hex SHA-256 of the body.
    ///   - excludingQueryParameters: decoded parameter names left out of the query, e.g.
    ///     `X-Amz-Signature` for presigned requests.
    ///   - normalizePath: remove `.`, `..` and empty segments first (every service but S3).
    public static func make(
        method: String,
        rawPath: String,
        rawQuery: String?,
        headers: [(name: String, value: String)],
        signedHeaders: [String],
        payloadHash: String,
        excludingQueryParameters: Set<String> = [],
        normalizePath: Bool = true
    ) -> String {
        make(
            method: method, rawPath: rawPath, rawQuery: rawQuery, headers: HeaderIndex(headers),
            signedHeaders: signedHeaders, payloadHash: payloadHash, excludingQueryParameters: excludingQueryParameters,
            normalizePath: normalizePath)
    }

    /// ``make(method:rawPath:rawQuery:headers:signedHeaders:payloadHash:excludingQueryParameters:normalizePath:)``
    /// for headers already indexed (a received ``SignedRequest``'s), whose names are not lowercased again.
    public static func make(
        method: String,
        rawPath: String,
        rawQuery: String?,
        headers: HeaderIndex,
        signedHeaders: [String],
        payloadHash: String,
        excludingQueryParameters: Set<String> = [],
        normalizePath: Bool = true
    ) -> String {
        var out = [UInt8]()
        out.reserveCapacity(256 + headers.fields.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count })
        out.append(contentsOf: method.utf8)
        out.append(0x0A)
        out.append(contentsOf: canonicalURI(rawPath: rawPath, normalize: normalizePath).utf8)
        out.append(0x0A)
        out.append(contentsOf: canonicalQueryString(rawQuery: rawQuery, excluding: excludingQueryParameters).utf8)
        out.append(0x0A)
        appendCanonicalHeaders(headers, signedHeaders: signedHeaders, into: &out)
        out.append(0x0A)
        for (index, name) in signedHeaders.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ";")) }
            out.append(contentsOf: name.utf8)
        }
        out.append(0x0A)
        out.append(contentsOf: payloadHash.utf8)
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: - URI

    /// The canonical URI: optionally normalised, then every byte outside the unreserved set and
    /// `/` percent-encoded with uppercase hex.
    ///
    /// The path is encoded once more even though it already is encoded (`%` becomes `%25`), as
    /// botocore (`quote(path, safe='/~')`) and aws-c-auth (`use_double_uri_encode`) do. Dot segments
    /// are recognised only when literal: `%2E%2E` is an ordinary segment, because clients sign it so.
    public static func canonicalURI(rawPath: String, normalize: Bool = true) -> String {
        let path = Array(rawPath.utf8)
        let source = normalize ? normalizedPath(path) : (path.isEmpty ? [UInt8(ascii: "/")] : path)
        var out = [UInt8]()
        out.reserveCapacity(source.count)
        PercentEncoding.encode(source, keepingSlash: true, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// RFC 3986 §5.2.4 dot-segment removal plus AWS's collapsing of empty segments, mirroring
    /// botocore's `remove_dot_segments`: a leading and a trailing `/` are kept, empty becomes `/`.
    private static func normalizedPath(_ path: [UInt8]) -> [UInt8] {
        guard let first = path.first, let last = path.last else { return [UInt8(ascii: "/")] }
        var segments: [ArraySlice<UInt8>] = []
        for segment in path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            if segment.elementsEqual([UInt8(ascii: ".")]) { continue }
            if segment.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) {
                _ = segments.popLast()
                continue
            }
            segments.append(segment)
        }
        var out = [UInt8]()
        out.reserveCapacity(path.count)
        if first == UInt8(ascii: "/") { out.append(UInt8(ascii: "/")) }
        for (index, segment) in segments.enumerated() {
            if index > 0 { out.append(UInt8(ascii: "/")) }
            out.append(contentsOf: segment)
        }
        if last == UInt8(ascii: "/"), !segments.isEmpty { out.append(UInt8(ascii: "/")) }
        return out
    }

    // MARK: - Query

    /// The canonical query string: parameters split on `&` and the first `=`, `%XX` decoded, then
    /// re-encoded with the unreserved set and uppercase hex, sorted by encoded name then encoded
    /// value, and joined with `&`. Every parameter gets an `=`, even without a value.
    ///
    /// `+` is a literal plus (encoded `%2B`), not a space: SigV4 signers encode spaces as `%20`.
    /// Empty parameters (`a&&b`) are dropped. `excluding` holds decoded names to leave out.
    public static func canonicalQueryString(rawQuery: String?, excluding: Set<String> = []) -> String {
        guard let rawQuery, !rawQuery.isEmpty else { return "" }
        var pairs: [(name: [UInt8], value: [UInt8])] = []
        for parameter in decodedQueryParameters(rawQuery) {
            if !excluding.isEmpty, excluding.contains(String(decoding: parameter.name, as: UTF8.self)) { continue }
            var name = [UInt8]()
            var value = [UInt8]()
            PercentEncoding.encode(parameter.name, into: &name)
            PercentEncoding.encode(parameter.value, into: &value)
            pairs.append((name, value))
        }
        pairs.sort { lhs, rhs in
            if lhs.name != rhs.name { return lhs.name.lexicographicallyPrecedes(rhs.name) }
            return lhs.value.lexicographicallyPrecedes(rhs.value)
        }
        var out = [UInt8]()
        for (index, pair) in pairs.enumerated() {
            if index > 0 { out.append(UInt8(ascii: "&")) }
            out.append(contentsOf: pair.name)
            out.append(UInt8(ascii: "="))
            out.append(contentsOf: pair.value)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The query's parameters in order, names and values `%XX`-decoded to bytes.
    static func decodedQueryParameters(_ rawQuery: String) -> [(name: [UInt8], value: [UInt8])] {
        var result: [(name: [UInt8], value: [UInt8])] = []
        for parameter in Array(rawQuery.utf8).split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            if let equals = parameter.firstIndex(of: UInt8(ascii: "=")) {
                result.append(
                    (PercentEncoding.decode(parameter[..<equals]), PercentEncoding.decode(parameter[(equals + 1)...])))
            } else {
                result.append((PercentEncoding.decode(parameter), []))
            }
        }
        return result
    }

    // MARK: - Headers

    /// `name:value\n` for each name in `signedHeaders`, where value is every received value of that
    /// header (case-insensitive name match), in order, each canonicalised, joined with `,`.
    public static func canonicalHeaders(_ headers: [(name: String, value: String)], signedHeaders: [String]) -> String {
        var out = [UInt8]()
        appendCanonicalHeaders(HeaderIndex(headers), signedHeaders: signedHeaders, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// ``canonicalHeaders(_:signedHeaders:)`` appended to a byte buffer.
    static func appendCanonicalHeaders(_ headers: HeaderIndex, signedHeaders: [String], into out: inout [UInt8]) {
        for signed in signedHeaders {
            out.append(contentsOf: signed.utf8)
            out.append(UInt8(ascii: ":"))
            var first = true
            for (index, name) in headers.lowercaseNames.enumerated() where name == signed {
                if !first { out.append(UInt8(ascii: ",")) }
                appendCanonicalHeaderValue(headers.fields[index].value, into: &out)
                first = false
            }
            out.append(0x0A)
        }
    }

    /// `value` with leading and trailing whitespace removed and each inner run of whitespace
    /// (space, tab, and the CR/LF of obsolete line folding) replaced by one space.
    public static func canonicalHeaderValue(_ value: String) -> String {
        var out = [UInt8]()
        out.reserveCapacity(value.utf8.count)
        appendCanonicalHeaderValue(value, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// ``canonicalHeaderValue(_:)`` appended to `out`, copying runs without whitespace in bulk.
    static func appendCanonicalHeaderValue(_ value: String, into out: inout [UInt8]) {
        var value = value
        value.withUTF8 { bytes in
            var index = 0
            var wroteAny = false
            while index < bytes.count {
                // Skip a whitespace run; it becomes one space only between non-whitespace bytes.
                var sawSpace = false
                while index < bytes.count, isWhitespace(bytes[index]) {
                    sawSpace = true
                    index += 1
                }
                guard index < bytes.count else { break }
                if sawSpace && wroteAny { out.append(UInt8(ascii: " ")) }
                let start = index
                while index < bytes.count, !isWhitespace(bytes[index]) { index += 1 }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                wroteAny = true
            }
        }
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        // Python's str.split() (botocore) and C's isspace() (aws-c-auth) agree on these six.
        byte == 0x20 || (0x09...0x0D).contains(byte)
    }

}
