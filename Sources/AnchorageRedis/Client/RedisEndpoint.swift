/// Where the shared state lives: `redis://[USERNAME@]HOST:PORT[/DB]`, or `rediss://…` for TLS.
///
/// A password is never part of the URL (it would show in `ps` and in shell history): it is read from a
/// file (`--shared-state-password-file`). A username in the URL selects a Redis 6 ACL user.
public struct RedisEndpoint: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// The logical database (`SELECT`), 0 by default.
    public var database: Int
    /// The ACL user to `AUTH` as, with the password; nil authenticates as `default` (`AUTH password`).
    public var username: String?
    public var tls: Bool

    public init(host: String, port: Int = 6379, database: Int = 0, username: String? = nil, tls: Bool = false) {
        self.host = host
        self.port = port
        self.database = database
        self.username = username
        self.tls = tls
    }

    /// Parses the URL; the error says what is wrong without quoting anything secret.
    public init(url: String) throws(RedisError) {
        var rest = Substring(url)
        if rest.hasPrefix("redis://") {
            rest = rest.dropFirst("redis://".count)
            tls = false
        } else if rest.hasPrefix("rediss://") {
            rest = rest.dropFirst("rediss://".count)
            tls = true
        } else {
            throw RedisError(.invalidEndpoint, "the URL must start with redis:// or rediss://")
        }
        username = nil
        if let at = rest.lastIndex(of: "@") {
            let user = rest[..<at]
            guard !user.contains(":") else {
                throw RedisError(
                    .invalidEndpoint, "a password in the URL is refused; give it with --shared-state-password-file")
            }
            guard !user.isEmpty, user.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw RedisError(.invalidEndpoint, "the username must be printable ASCII")
            }
            username = String(user)
            rest = rest[rest.index(after: at)...]
        }
        database = 0
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            if !path.isEmpty {
                guard let number = Int(path), (0...65535).contains(number),
                    path.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
                else { throw RedisError(.invalidEndpoint, "the database must be a number 0-65535") }
                database = number
            }
            rest = rest[..<slash]
        }
        guard let colon = rest.lastIndex(of: ":"), let number = Int(rest[rest.index(after: colon)...]),
            (1...65535).contains(number)
        else { throw RedisError(.invalidEndpoint, "the URL must name HOST:PORT") }
        var name = rest[..<colon]
        if name.hasPrefix("["), name.hasSuffix("]") { name = name.dropFirst().dropLast() }
        guard !name.isEmpty, name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "/") }) else {
            throw RedisError(.invalidEndpoint, "the URL must name HOST:PORT")
        }
        host = String(name)
        port = number
    }

    /// The URL without any credential, for logs.
    public var description: String {
        let bracketed = host.contains(":") ? "[\(host)]" : host
        return "\(tls ? "rediss" : "redis")://\(username.map { $0 + "@" } ?? "")\(bracketed):\(port)/\(database)"
    }
}
