import AnchorageBasics

/// The names this server answers to. A signed request names its server in `Host` (SigV4 signs it); one
/// signed for any other host was meant for another service, or is being replayed at this one, and is refused.
///
/// `serve` builds it from its TLS certificate's DNS and IP subject alternative names (a client that verified
/// TLS reached one of them) and every `--public-host`. Only the host is compared, never the port: a proxy or
/// a port mapping changes the port a client dialled. DNS names compare ASCII case-insensitively and byte for
/// byte otherwise (an internationalised name must be written as its A-label, as certificates carry it); a
/// name `*.example.com` matches exactly one whole left-most label, as TLS clients match certificates
/// (RFC 6125 §6.4.3). IP addresses compare as addresses, so `[::1]` matches `0:0:0:0:0:0:0:1`; an IPv6
/// literal in `Host` must be in brackets, and `Host` never matches a wildcard.
public struct ServerNames: Sendable, Equatable, CustomStringConvertible {
    /// Lowercased DNS names, wildcards included (`*.example.com`).
    private var dnsNames: Set<String>
    /// IPv4 (4 bytes) and IPv6 (16 bytes) addresses.
    private var addresses: Set<[UInt8]>
    /// True only for ``anyHost``.
    private var acceptsAnyHost = false
    /// The names as given, in order, for logs.
    public private(set) var names: [String]

    /// Every host accepted: for library callers that decide requests without a server (unit tests of the
    /// signature rules); `serve` never uses it.
    public static let anyHost: ServerNames = {
        var names = ServerNames(names: [])
        names.acceptsAnyHost = true
        return names
    }()

    /// The loopback names `localhost`, `127.0.0.1` and `::1`: what `serve --insecure-http` accepts when no
    /// `--public-host` names the host that clients use.
    public static let loopback = ServerNames(names: ["localhost", "127.0.0.1", "::1"])

    /// Accepts `names`: DNS names (`*.` wildcards allowed) and IPv4 or IPv6 addresses (with or without the
    /// brackets of a URL); see ``invalidName(_:)`` for what is refused.
    public init(names: [String]) {
        var dnsNames = Set<String>()
        var addresses = Set<[UInt8]>()
        for name in names {
            if let address = Self.address(name) {
                addresses.insert(address)
            } else {
                dnsNames.insert(ASCII.lowercased(name))
            }
        }
        self.dnsNames = dnsNames
        self.addresses = addresses
        self.names = names
    }

    /// The names of both.
    public func union(_ other: ServerNames) -> ServerNames { ServerNames(names: names + other.names) }

    /// Whether no name at all is accepted.
    public var isEmpty: Bool { !acceptsAnyHost && dnsNames.isEmpty && addresses.isEmpty }

    public var description: String { acceptsAnyHost ? "*" : names.joined(separator: ", ") }

    /// Why `name` cannot be a server name (`--public-host`), or nil when it can: an IP address, or a DNS name of
    /// letters, digits, `-` and `_` labels (at most 253 bytes), optionally `*.` and at least two more labels.
    public static func invalidName(_ name: String) -> String? {
        if address(name) != nil { return nil }
        var labels = name.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard !name.isEmpty, name.utf8.count <= 253 else { return "\(name.debugDescription) is not a host name" }
        if labels.first.map({ Array($0) }) == [UInt8(ascii: "*")] {
            labels.removeFirst()
            guard labels.count >= 2 else { return "a wildcard needs at least two labels after `*.`" }
        }
        for label in labels where !isLabel(label) {
            return "\(name.debugDescription) is not a host name or an IP address"
        }
        return nil
    }

    /// 1-63 ASCII letters, digits, `-` and `_`, neither first nor last a `-`.
    private static func isLabel<Bytes: Collection<UInt8>>(_ label: Bytes) -> Bool {
        !label.isEmpty && label.count <= 63 && label.first != UInt8(ascii: "-")
            && label.allSatisfy({ $0.isASCIILetterOrDigit || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") })
            && Array(label).last != UInt8(ascii: "-")
    }

    /// Whether the `Host` header value `host` (`name`, `name:port`, `a.b.c.d[:port]` or `[v6][:port]`) names
    /// this server.
    public func accepts(host: String) -> Bool {
        if acceptsAnyHost { return true }
        guard let parsed = Self.splitHostPort(host) else { return false }
        if parsed.bracketed {
            // RFC 3986 IP-literal: only IPv6 addresses (IPvFuture and zone ids are not server names here).
            guard let address = IPAddressRange.parseAddress(String(parsed.host)), address.count == 16 else {
                return false
            }
            return addresses.contains(address)
        }
        if let address = IPAddressRange.parseAddress(String(parsed.host)) {
            // An IPv4 literal; an IPv6 one has colons and cannot get here without brackets.
            return addresses.contains(address)
        }
        let lowered = ASCII.lowercased(String(parsed.host))
        // A `*` is a pattern in a server name, never part of a host a client reached.
        if lowered.utf8.contains(UInt8(ascii: "*")) { return false }
        if dnsNames.contains(lowered) { return true }
        // `*.example.com` covers `a.example.com`: one whole label, not empty, not `*` itself.
        guard let dot = lowered.utf8.firstIndex(of: UInt8(ascii: ".")),
            Self.isLabel(lowered.utf8[lowered.utf8.startIndex..<dot])
        else { return false }
        return dnsNames.contains("*" + String(lowered[dot...]))
    }

    /// `host` split into the host and whether it was bracketed; nil when the port is not digits or the
    /// shape is not `host[:port]`.
    private static func splitHostPort(_ value: String) -> (host: Substring, bracketed: Bool)? {
        var text = Substring(value)
        guard !text.isEmpty else { return nil }
        if text.first == "[" {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.isEmpty || isPort(rest) else { return nil }
            return (host, true)
        }
        if let colon = text.lastIndex(of: ":") {
            guard isPort(text[colon...]) else { return nil }
            text = text[..<colon]
        }
        guard !text.isEmpty, !text.contains(":") else { return nil }
        return (text, false)
    }

    /// `:` followed by 0-5 digits (RFC 3986 allows an empty port).
    private static func isPort(_ text: Substring) -> Bool {
        text.first == ":" && text.utf8.count <= 6 && text.utf8.dropFirst().allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// An address written bare or in brackets.
    private static func address(_ name: String) -> [UInt8]? {
        var text = Substring(name)
        if text.first == "[", text.last == "]" { text = text.dropFirst().dropLast() }
        return IPAddressRange.parseAddress(String(text))
    }
}

extension UInt8 {
    fileprivate var isASCIILetterOrDigit: Bool {
        (self >= 0x30 && self <= 0x39) || (self >= 0x41 && self <= 0x5A) || (self >= 0x61 && self <= 0x7A)
    }
}
