import AnchorageCrypto

// SigV4 canonicalisation (Sources/AnchorageCore/SigV4/CanonicalRequest.swift, X509RequestSigner).
//
// Input: a request in the aws-sig-v4-test-suite `request.txt` form — `METHOD target HTTP/1.1`, then
// `Name:value` lines (a line starting with space or tab continues the previous value), an empty
// line, the body. Every header is signed, as in the suite.
// Invariants beyond "no crash":
//  - the canonical request has exactly 6 + N lines (method, URI, query, N headers, blank,
//    SignedHeaders, payload hash) and its header lines are `name:value` for the signed names in order;
//  - the canonical URI holds only unreserved bytes, '/' and %XX with uppercase hex;
//  - the canonical query is sorted, every parameter has '=', holds only unreserved bytes and %XX,
//    and canonicalising it again changes nothing; X-Amz-Signature is gone when excluded;
//  - canonical header values are trimmed, have no whitespace runs, and are a fixed point;
//  - the string to sign is the four lines algorithm, date, scope, SHA-256 of the canonical request.
@testable import AnchorageCore

private func isUnreserved(_ byte: UInt8) -> Bool {
    switch byte {
    case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
        UInt8(ascii: "~"):
        return true
    default: return false
    }
}

/// Only unreserved bytes, `extra`, and `%` followed by two uppercase hex digits.
private func isEncoded(_ text: String, extra: Set<UInt8>) -> Bool {
    let bytes = Array(text.utf8)
    var index = 0
    while index < bytes.count {
        let byte = bytes[index]
        if byte == UInt8(ascii: "%") {
            guard index + 2 < bytes.count else { return false }
            for digit in bytes[index + 1...index + 2]
            where !((0x30...0x39).contains(digit) || (0x41...0x46).contains(digit)) {
                return false
            }
            index += 3
        } else {
            guard isUnreserved(byte) || extra.contains(byte) else { return false }
            index += 1
        }
    }
    return true
}

private func isWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // Head and body split at the first empty line.
    var headEnd = bytes.count
    var bodyStart = bytes.count
    if size >= 2 {
        for index in 0..<(bytes.count - 1) where bytes[index] == 0x0A && bytes[index + 1] == 0x0A {
            headEnd = index
            bodyStart = index + 2
            break
        }
    }
    let lines = bytes[..<headEnd].split(separator: 0x0A, omittingEmptySubsequences: false).map {
        String(decoding: $0, as: UTF8.self)
    }
    guard let requestLine = lines.first else { return 0 }
    guard let firstSpace = requestLine.firstIndex(of: " ") else { return 0 }
    let method = String(requestLine[..<firstSpace])
    var target = Substring(requestLine[requestLine.index(after: firstSpace)...])
    if let space = target.lastIndex(of: " "), target[target.index(after: space)...].hasPrefix("HTTP/") {
        target = target[..<space]
    }
    let rawPath: String
    var rawQuery: String?
    if let mark = target.firstIndex(of: "?") {
        rawPath = String(target[..<mark])
        rawQuery = String(target[target.index(after: mark)...])
    } else {
        rawPath = String(target)
    }
    var headers: [(name: String, value: String)] = []
    for line in lines.dropFirst() {
        if let first = line.first, first == " " || first == "\t", !headers.isEmpty {
            headers[headers.count - 1].value += "\n" + line
            continue
        }
        guard let colon = line.firstIndex(of: ":") else { continue }
        headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
    }
    let body = Array(bytes[bodyStart...])
    let signed = Array(
        Set(
            headers.map { name, _ in
                String(decoding: name.utf8.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
            })
    )
    .filter { !$0.isEmpty && !$0.utf8.contains(0x0A) }
    .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    let scope = CredentialScope(date: "20150830", region: "us-east-1", service: "service")

    for normalize in [true, false] {
        let payloadHash = Digest.sha256Hex(body)
        let canonical = CanonicalRequest.make(
            method: method, rawPath: rawPath, rawQuery: rawQuery, headers: headers, signedHeaders: signed,
            payloadHash: payloadHash, normalizePath: normalize)
        // Lines by bytes: a String split would treat "\r\n" as one Character.
        let parts = canonical.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).map { Array($0) }
        if !method.utf8.contains(0x0A) {
            fuzzCheck(
                parts.count == 6 + signed.count,
                "canonical request has \(parts.count) lines for \(signed.count) headers")
            fuzzCheck(parts[0] == Array(method.utf8), "method line")
            fuzzCheck(isEncoded(String(decoding: parts[1], as: UTF8.self), extra: [UInt8(ascii: "/")]), "canonical URI")
            if normalize, rawPath.utf8.first == UInt8(ascii: "/") {
                fuzzCheck(parts[1].first == UInt8(ascii: "/"), "normalised URI lost its leading /")
            }
            for (index, name) in signed.enumerated() {
                fuzzCheck(
                    parts[3 + index].starts(with: Array((name + ":").utf8)), "header line \(index) is not \(name)")
                fuzzCheck(
                    !parts[3 + index].dropFirst(name.utf8.count + 1).contains(0x0D), "CR in a canonical header value")
            }
            fuzzCheck(parts[3 + signed.count].isEmpty, "no blank line after the headers")
            fuzzCheck(parts[4 + signed.count] == Array(signed.joined(separator: ";").utf8), "SignedHeaders line")
            fuzzCheck(parts[5 + signed.count] == Array(payloadHash.utf8), "payload hash line")
        }
        let (again, stringToSign) = X509RequestSigner.canonicalRequestAndStringToSign(
            method: method, rawPath: rawPath, rawQuery: rawQuery, headers: headers, signedHeaders: signed, body: body,
            algorithm: "AWS4-X509-ECDSA-SHA256", amzDate: "20150830T123600Z", scope: scope)
        fuzzCheck(normalize == false || again == canonical, "X509RequestSigner disagrees with CanonicalRequest.make")
        if normalize {
            fuzzCheck(
                stringToSign
                    == "AWS4-X509-ECDSA-SHA256\n20150830T123600Z\n\(scope.string)\n\(Digest.sha256Hex(canonical))",
                "string to sign")
        }
    }

    // The query on its own.
    let query = CanonicalRequest.canonicalQueryString(rawQuery: rawQuery)
    if !query.isEmpty {
        let parameters = query.split(separator: "&", omittingEmptySubsequences: false)
        for parameter in parameters {
            fuzzCheck(parameter.contains("="), "canonical parameter without '='")
            fuzzCheck(isEncoded(String(parameter), extra: [UInt8(ascii: "=")]), "canonical query bytes")
        }
        let keys = parameters.map { parameter -> (String, String) in
            let equals = parameter.firstIndex(of: "=")!
            return (String(parameter[..<equals]), String(parameter[parameter.index(after: equals)...]))
        }
        for index in keys.indices.dropFirst() {
            let (a, b) = (keys[index - 1], keys[index])
            fuzzCheck(
                a.0 != b.0
                    ? a.0.utf8.lexicographicallyPrecedes(b.0.utf8) : !b.1.utf8.lexicographicallyPrecedes(a.1.utf8),
                "canonical query not sorted")
        }
    }
    fuzzCheck(CanonicalRequest.canonicalQueryString(rawQuery: query) == query, "canonical query is not a fixed point")
    let withoutSignature = CanonicalRequest.canonicalQueryString(rawQuery: rawQuery, excluding: ["X-Amz-Signature"])
    fuzzCheck(
        !withoutSignature.split(separator: "&").contains { $0.hasPrefix("X-Amz-Signature=") },
        "excluded parameter still present")

    // Header values on their own.
    for (_, value) in headers {
        let canonicalValue = CanonicalRequest.canonicalHeaderValue(value)
        let utf8 = Array(canonicalValue.utf8)
        if let first = utf8.first, let last = utf8.last {
            fuzzCheck(!isWhitespace(first) && !isWhitespace(last), "canonical value not trimmed")
        }
        for index in utf8.indices.dropFirst() where isWhitespace(utf8[index]) {
            fuzzCheck(utf8[index] == 0x20 && !isWhitespace(utf8[index - 1]), "whitespace run in a canonical value")
        }
        fuzzCheck(
            CanonicalRequest.canonicalHeaderValue(canonicalValue) == canonicalValue, "header value not a fixed point")
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    // Seeds are the aws-sig-v4-test-suite request.txt files, copied by make-seeds.sh.
    return 0
}
