/// The CreateSession service's base URL: `https://host[:port][/path]` (or `http://` for a server
/// behind a TLS-terminating proxy).
public struct Endpoint: Sendable, Equatable, CustomStringConvertible {
    public var isTLS: Bool
    /// The host as written, without brackets for IPv6 literals.
    public var host: String
    public var port: Int
    /// True when the URL named the port; the `Host` header then carries it (as Go's `URL.Host` does).
    public var hasExplicitPort: Bool
    /// The path before `/sessions`, without a trailing `/` (usually empty).
    public var basePath: String

    /// Parses `https://host[:port][/path]`; a value without a scheme is taken as `https://`.
    public init(parsing text: String) throws(HelperError) {
        var rest = Substring(text)
        if rest.hasPrefix("https://") {
            isTLS = true
            rest = rest.dropFirst(8)
        } else if rest.hasPrefix("http://") {
            isTLS = false
            rest = rest.dropFirst(7)
        } else if rest.contains("://") {
            throw HelperError.usage("--endpoint \(text): only https:// and http:// are supported")
        } else {
            isTLS = true
        }
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        var path = rest.dropFirst(authority.count).prefix { $0 != "?" }
        while path.hasSuffix("/") { path = path.dropLast() }
        basePath = String(path)
        var hostPart = authority
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw HelperError.usage("--endpoint \(text): bad IPv6 literal")
            }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                portPart = after.dropFirst()
            } else if !after.isEmpty {
                throw HelperError.usage("--endpoint \(text): bad authority")
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        }
        guard !hostPart.isEmpty, !hostPart.contains("@") else { throw HelperError.usage("--endpoint \(text): no host") }
        host = String(hostPart)
        if let portPart {
            guard let value = Int(portPart), (1...65535).contains(value) else {
                throw HelperError.usage("--endpoint \(text): bad port")
            }
            port = value
            hasExplicitPort = true
        } else {
            port = isTLS ? 443 : 80
            hasExplicitPort = false
        }
    }

    /// The public AWS endpoint of `region`.
    public static func aws(region: String) -> Endpoint {
        // A region is `[a-z0-9-]+`; the literal cannot fail to parse.
        (try? Endpoint(parsing: "https://rolesanywhere.\(region).amazonaws.com"))!
    }

    /// The `Host` header value: the host, bracketed when IPv6, with the port when the URL named one.
    public var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return hasExplicitPort ? "\(name):\(port)" : name
    }

    public var description: String { "\(isTLS ? "https" : "http")://\(hostHeader)\(basePath)" }
}
