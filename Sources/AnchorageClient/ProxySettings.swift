import AnchorageBasics

/// `--with-proxy`: the proxy from `HTTPS_PROXY`/`HTTP_PROXY` (upper or lower case), skipped for hosts
/// that `NO_PROXY` names. Requests go through a `CONNECT` tunnel.
public struct ProxySettings: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// `user:password` from the proxy URL, sent as `Proxy-Authorization: Basic …`.
    public var userInfo: String?

    public init(host: String, port: Int, userInfo: String? = nil) {
        self.host = host
        self.port = port
        self.userInfo = userInfo
    }

    /// The proxy to use for `endpoint` under `environment`, or nil for a direct connection.
    public static func from(environment: [String: String], for endpoint: Endpoint) throws(HelperError) -> ProxySettings?
    {
        func value(_ name: String) -> String? {
            for key in [name, name.lowercased()] {
                if let v = environment[key], !v.isEmpty { return v }
            }
            return nil
        }
        guard let url = endpoint.isTLS ? value("HTTPS_PROXY") : value("HTTP_PROXY") else { return nil }
        if let noProxy = value("NO_PROXY"), bypasses(noProxy: noProxy, host: endpoint.host, port: endpoint.port) {
            return nil
        }
        return try parse(url)
    }

    /// Parses `[http://][user:password@]host[:port]`; the port defaults to 80. Errors name the URL
    /// without its user information (the password would otherwise reach the terminal and logs).
    static func parse(_ text: String) throws(HelperError) -> ProxySettings {
        let url = redacted(text)
        var rest = Substring(text)
        if rest.hasPrefix("http://") {
            rest = rest.dropFirst(7)
        } else if rest.contains("://") {
            throw HelperError("proxy \(url): only http:// proxies are supported")
        }
        rest = rest.prefix { $0 != "/" }
        var userInfo: String?
        if let at = rest.lastIndex(of: "@") {
            userInfo = String(rest[..<at])
            rest = rest[rest.index(after: at)...]
        }
        var host = rest
        var port = 80
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()) else { throw HelperError("proxy \(url): bad port") }
                port = p
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            guard let p = Int(rest[rest.index(after: colon)...]) else { throw HelperError("proxy \(url): bad port") }
            port = p
        }
        guard !host.isEmpty, (1...65535).contains(port) else { throw HelperError("proxy \(url): no host") }
        return ProxySettings(host: String(host), port: port, userInfo: userInfo)
    }

    /// `url` with everything before its last `@` replaced by `***` (a password may hold `/`).
    static func redacted(_ url: String) -> String {
        var rest = Substring(url)
        var scheme = ""
        if let colon = rest.firstIndex(of: ":"), rest[colon...].hasPrefix("://") {
            let end = rest.index(colon, offsetBy: 3)
            scheme = String(rest[..<end])
            rest = rest[end...]
        }
        guard let at = rest.lastIndex(of: "@") else { return url }
        return scheme + "***@" + rest[rest.index(after: at)...]
    }

    /// `NO_PROXY` matching as curl and Go do: `*` matches everything; an entry matches the host itself
    /// and, for names, its subdomains (`example.com` and `.example.com` both match `a.example.com`);
    /// an entry with `:port` matches only that port; IPv4 CIDR blocks match addresses inside them.
    static func bypasses(noProxy: String, host: String, port: Int) -> Bool {
        let host = host.lowercased()
        for rawEntry in noProxy.split(separator: ",") {
            var entry = rawEntry.trimmingSpacesAndTabs().lowercased()
            if entry.isEmpty { continue }
            if entry == "*" { return true }
            if let colon = entry.lastIndex(of: ":"), !entry.contains("]"), entry.filter({ $0 == ":" }).count == 1 {
                guard Int(entry[entry.index(after: colon)...]) == port else { continue }
                entry = String(entry[..<colon])
            }
            if entry.hasPrefix("[") && entry.hasSuffix("]") { entry = String(entry.dropFirst().dropLast()) }
            if entry.contains("/") {
                if IPv4Block(entry)?.contains(host) == true { return true }
                continue
            }
            if entry.hasPrefix(".") { entry.removeFirst() }
            if host == entry || host.hasSuffix("." + entry) { return true }
        }
        return false
    }
}

private struct IPv4Block {
    let network: UInt32
    let mask: UInt32

    init?(_ text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let bits = Int(parts[1]), (0...32).contains(bits),
            let address = IPv4Block.parse(String(parts[0]))
        else { return nil }
        mask = bits == 0 ? 0 : UInt32.max << (32 - bits)
        network = address & mask
    }

    func contains(_ host: String) -> Bool {
        guard let address = IPv4Block.parse(host) else { return false }
        return address & mask == network
    }

    static func parse(_ text: String) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var value: UInt32 = 0
        for octet in octets {
            guard let byte = UInt8(octet) else { return nil }
            value = value << 8 | UInt32(byte)
        }
        return value
    }
}
