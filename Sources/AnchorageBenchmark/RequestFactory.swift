import AnchorageCore
import AnchorageCrypto
import Foundation

/// Pre-signs CreateSession requests as raw HTTP/1.1 bytes, the way the Python client shapes them
/// (ARNs in the JSON body), so the load loop only writes bytes.
///
/// Request `i` of a factory has its own (`X-Amz-Date`, `durationSeconds`) pair: dates spread over
/// ±4 minutes of the signing time, durations over 900…3600, so no two requests of a run are equal
/// and a server could not answer any of them from a cache.
final class RequestFactory: @unchecked Sendable {
    let host: String
    private let lock = NSLock()
    private var next = 0

    init(host: String) { self.host = host }

    /// Reserves `count` sequence numbers (distinct across every call on this factory).
    private func reserve(_ count: Int) -> Int {
        lock.lock()
        defer { lock.unlock() }
        let start = next
        next += count
        return start
    }

    /// `count` distinct requests, request `i` signed by `identities[i % identities.count]`.
    func make(
        _ count: Int, identities: [Identity], target: Target, threads: Int,
        tamper: Bool = false, signedAt: Int64 = Int64(Date().timeIntervalSince1970)
    ) -> [[UInt8]] {
        let start = reserve(count)
        let slots = ResultSlots<[UInt8]>(count)
        let host = self.host
        parallelFor(count, threads: threads) { index in
            let sequence = start + index
            let skew = Int64(sequence % 481) - 240
            let duration = 900 + (sequence / 481) % 2701
            slots[index] = Self.request(
                identity: identities[index % identities.count], target: target, host: host, date: signedAt + skew,
                duration: duration, tamper: tamper)
        }
        return slots.values.map { $0 ?? [] }
    }

    /// `request` sent to a path no route serves: the same bytes on the wire (headers, certificate, body), answered
    /// 404 before any decision, so its cost is the HTTP server's, TLS's and the kernel's alone.
    static func unrouted(_ request: [UInt8]) -> [UInt8] {
        let routed = Array("POST /sessions ".utf8)
        guard request.starts(with: routed) else { return request }
        return Array("POST /unrouted ".utf8) + request[routed.count...]
    }

    static func request(
        identity: Identity, target: Target, host: String, date: Int64, duration: Int, tamper: Bool
    ) -> [UInt8] {
        let amzDate = AmzDate(secondsSinceEpoch: date)!
        let body = Array(
            #"{"durationSeconds":\#(duration),"profileArn":"\#(target.profileArn)","roleArn":"\#(target.roleArn)","trustAnchorArn":"\#(target.trustAnchorArn)"}"#
                .utf8)
        var headers: [(name: String, value: String)] = [
            ("Host", host),
            ("Content-Type", "application/json"),
            ("X-Amz-Date", amzDate.string),
            ("X-Amz-X509", Base64.encode(identity.certificate.derBytes)),
        ]
        var signedHeaders = ["content-type", "host", "x-amz-date", "x-amz-x509"]
        if !identity.chain.isEmpty {
            headers.append(
                ("X-Amz-X509-Chain", identity.chain.map { Base64.encode($0.derBytes) }.joined(separator: ",")))
            signedHeaders.append("x-amz-x509-chain")
        }
        let algorithm = identity.key.isRSA ? "AWS4-X509-RSA-SHA256" : "AWS4-X509-ECDSA-SHA256"
        let scope = CredentialScope(date: amzDate.datePart, region: "us-east-1", service: "rolesanywhere")
        let stringToSign = X509RequestSigner.canonicalRequestAndStringToSign(
            method: "POST", rawPath: "/sessions", rawQuery: nil, headers: headers, signedHeaders: signedHeaders,
            body: body, algorithm: algorithm, amzDate: amzDate.string, scope: scope
        ).stringToSign
        var signature = (try? identity.key.signSHA256(Array(stringToSign.utf8))) ?? []
        if tamper, !signature.isEmpty { signature[signature.count / 2] ^= 0x01 }
        headers.append(
            (
                "Authorization",
                "\(algorithm) Credential=\(identity.certificate.serialNumberDecimal)/\(scope.string), "
                    + "SignedHeaders=\(signedHeaders.joined(separator: ";")), Signature=\(Hex.encode(signature))"
            ))
        headers.append(("Content-Length", String(body.count)))
        var out = Array("POST /sessions HTTP/1.1\r\n".utf8)
        for (name, value) in headers { out += Array("\(name): \(value)\r\n".utf8) }
        out += Array("\r\n".utf8)
        out += body
        return out
    }
}
