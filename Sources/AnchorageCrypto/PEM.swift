/// PEM text (RFC 7468): base64 of DER in 64-character lines between BEGIN and END lines.
public enum PEM {
    /// `der` as a PEM block labelled `label` (e.g. "CERTIFICATE", "X509 CRL"), ending in a newline.
    public static func encode(_ der: [UInt8], label: String) -> String {
        let body = Base64.encode(der)
        var lines = ["-----BEGIN \(label)-----"]
        var index = body.startIndex
        while index < body.endIndex {
            let next = body.index(index, offsetBy: 64, limitedBy: body.endIndex) ?? body.endIndex
            lines.append(String(body[index..<next]))
            index = next
        }
        lines.append("-----END \(label)-----")
        return lines.joined(separator: "\n") + "\n"
    }
}
