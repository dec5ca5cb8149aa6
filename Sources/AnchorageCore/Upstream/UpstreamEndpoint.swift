/// The URL of an upstream STS: `https://host[:port][/path]`, or `http://` for a loopback host only.
///
/// Plain HTTP would hand the upstream's credentials to anyone on the path, so it is accepted only where
/// the path never leaves the machine: `localhost`, `127.0.0.0/8` and `::1` (local sidecars and tests).
public struct UpstreamEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// Whether TLS is used (`https`).
    public var tls: Bool
    /// The host name or IP address, without brackets.
    public var host: String
    public var port: Int
    /// The request path, `/` when the URL has none.
    public var path: String

    /// Why a URL is refused, for the configuration error.
    public struct Invalid: Error, Equatable, Sendable {
        public var message: String
    }

    /// Parses `text`; throws ``Invalid`` naming the problem.
    public init(_ text: String) throws(Invalid) {
        let rest: Substring
        if text.hasPrefix("https://") {
            tls = true
            rest = text.dropFirst(8)
        } else if text.hasPrefix("http://") {
            tls = false
            rest = text.dropFirst(7)
        } else {
            throw Invalid(message: "must start with https:// (or http:// for a loopback address)")
        }
        guard !rest.contains("?"), !rest.contains("#"), !rest.contains("@") else {
            throw Invalid(message: "must not carry a query, a fragment or user information")
        }
        let authority = rest.prefix { $0 != "/" }
        let pathPart = rest.dropFirst(authority.count)
        path = pathPart.isEmpty ? "/" : String(pathPart)
        guard path.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw Invalid(message: "the path must be printable ASCII without spaces")
        }
        var hostPart = authority
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw Invalid(message: "unterminated [IPv6]") }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw Invalid(message: "junk after [IPv6]") }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        }
        guard !hostPart.isEmpty,
            hostPart.utf8.allSatisfy({ byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: ":"):
                    return true
                default: return false
                }
            })
        else { throw Invalid(message: "no valid host") }
        host = String(hostPart)
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw Invalid(message: "port must be 1-65535")
            }
            port = value
        } else {
            port = tls ? 443 : 80
        }
        if !tls && !Self.isLoopback(host) {
            throw Invalid(message: "http:// is accepted only for loopback addresses (localhost, 127.0.0.0/8, ::1)")
        }
    }

    /// Whether `host` names this machine: `localhost`, an IPv4 address in `127.0.0.0/8`, or `::1`.
    public static func isLoopback(_ host: String) -> Bool {
        let lowered = host.lowercased()
        if lowered == "localhost" || lowered == "::1" || lowered == "0:0:0:0:0:0:0:1" { return true }
        let octets = lowered.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4,
            octets.allSatisfy({ part in
                !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCII) && part.allSatisfy(\.isNumber)
                    && Int(part).map { $0 <= 255 } == true
            })
        else { return false }
        return octets[0] == "127"
    }

    /// The `Host` header value: the host, bracketed when it is IPv6, with the port unless it is the scheme's.
    public var hostHeader: String {
        let bracketed = host.contains(":") ? "[\(host)]" : host
        return port == (tls ? 443 : 80) ? bracketed : "\(bracketed):\(port)"
    }

    public var description: String { "\(tls ? "https" : "http")://\(hostHeader)\(path)" }
}
