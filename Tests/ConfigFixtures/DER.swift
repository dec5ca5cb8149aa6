import AnchorageCore
public import AnchorageCrypto

/// CRLs built byte by byte, independent of AnchorageCrypto's CRL builder (so the loader's and the trust
/// store's parsing is tested against DER made elsewhere).
public enum DER {
    public static func length(_ n: Int) -> [UInt8] {
        if n < 0x80 { return [UInt8(n)] }
        if n < 0x100 { return [0x81, UInt8(n)] }
        return [0x82, UInt8(n >> 8), UInt8(n & 0xFF)]
    }

    public static func tlv(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] { [tag] + length(content.count) + content }

    public static func sequence(_ parts: [UInt8]...) -> [UInt8] { tlv(0x30, parts.flatMap { $0 }) }

    /// The child elements (each a full TLV) of the constructed element `der`.
    public static func children(_ der: [UInt8]) -> [[UInt8]] {
        func header(_ bytes: [UInt8], at i: Int) -> (headerLength: Int, contentLength: Int) {
            let first = Int(bytes[i + 1])
            if first < 0x80 { return (2, first) }
            let count = first & 0x7F
            var value = 0
            for k in 0..<count { value = value << 8 | Int(bytes[i + 2 + k]) }
            return (2 + count, value)
        }
        let outer = header(der, at: 0)
        var out: [[UInt8]] = []
        var i = outer.headerLength
        while i < outer.headerLength + outer.contentLength {
            let h = header(der, at: i)
            out.append(Array(der[i..<i + h.headerLength + h.contentLength]))
            i += h.headerLength + h.contentLength
        }
        return out
    }

    public static func utcTime(_ seconds: Int64) -> [UInt8] {
        let (y, m, d, hh, mm, ss) = UTCTimestamp.components(seconds)
        let text = [y % 100, m, d, hh, mm, ss].map { $0 < 10 ? "0\($0)" : "\($0)" }.joined() + "Z"
        return tlv(0x17, Array(text.utf8))
    }

    /// The DER subject Name of `certificate`.
    public static func subjectName(_ certificate: Certificate) -> [UInt8] {
        var tbs = children(children(certificate.derBytes)[0])
        if tbs[0][0] == 0xA0 { tbs.removeFirst() }  // [0] version
        return tbs[4]  // serial, signature, issuer, validity, subject
    }

    /// A v2 CRL naming `issuer` as its issuer, signed (ECDSA-SHA256) by `signingKey`, revoking `revokedSerials`.
    public static func crl(issuer: Certificate, signingKey: PrivateKey, revokedSerials: [[UInt8]] = []) throws
        -> [UInt8]
    {
        let ecdsaWithSHA256 = sequence(tlv(0x06, [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02]))
        var tbsParts: [UInt8] = tlv(0x02, [0x01]) + ecdsaWithSHA256 + subjectName(issuer)
        tbsParts += utcTime(testNow - 3600) + utcTime(testNow + 86400 * 7)
        if !revokedSerials.isEmpty {
            tbsParts += tlv(
                0x30, revokedSerials.flatMap { sequence(tlv(0x02, $0), utcTime(testNow - 1800)) })
        }
        let tbs = tlv(0x30, tbsParts)
        let signature = try signingKey.signSHA256(tbs)
        return sequence(tbs, ecdsaWithSHA256, tlv(0x03, [0x00] + signature))
    }

    public static func pem(_ der: [UInt8], label: String) -> String {
        "-----BEGIN \(label)-----\n\(Base64.encode(der))\n-----END \(label)-----\n"
    }
}
