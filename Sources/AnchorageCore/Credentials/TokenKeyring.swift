import AnchorageCrypto

/// The secret keys that seal session tokens. The newest key seals; every listed key opens, so keys
/// rotate by appending a new one and removing the oldest once its tokens have expired.
///
/// File format (mode 0600): `{"keys":[{"id":"k-20261122","secret":"<base64 of 32 bytes>"}, …]}`,
/// oldest first; the last entry is the newest and seals.
public struct TokenKeyring: Sendable {
    /// One sealing key. Not `CustomStringConvertible`, so it cannot be interpolated into a log by accident.
    public struct Key: Sendable {
        public var id: String
        public var secret: [UInt8]

        public init(id: String, secret: [UInt8]) {
            self.id = id
            self.secret = secret
        }
    }

    /// Keys oldest first; never empty.
    public private(set) var keys: [Key]

    /// Creates a keyring; fails when `keys` is empty, an id repeats or is not 1–64 printable ASCII
    /// characters, or a secret is not 32 bytes.
    public init(keys: [Key]) throws(SchemaError) {
        guard !keys.isEmpty else { throw SchemaError(path: "$.keys", message: "the keyring holds no key") }
        var seen = Set<String>()
        for (index, key) in keys.enumerated() {
            guard (1...64).contains(key.id.utf8.count), key.id.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw SchemaError(path: "$.keys[\(index)].id", message: "must be 1-64 printable ASCII characters")
            }
            guard seen.insert(key.id).inserted else {
                throw SchemaError(path: "$.keys[\(index)].id", message: "duplicate key id \"\(key.id)\"")
            }
            guard key.secret.count == 32 else {
                throw SchemaError(path: "$.keys[\(index)].secret", message: "must be 32 bytes, base64-encoded")
            }
        }
        self.keys = keys
    }

    /// A keyring with one fresh key.
    public static func generate(id: String, random: any RandomSource) -> TokenKeyring {
        // A single well-formed key always satisfies the initialiser's checks.
        try! TokenKeyring(keys: [Key(id: id, secret: random.bytes(32))])
    }

    /// The key that seals new tokens.
    public var sealingKey: Key { keys[keys.count - 1] }

    /// The key with `id`, if listed.
    public func key(withID id: String) -> Key? { keys.first { $0.id == id } }

    /// Parses the keyring file.
    public init(json: JSONValue) throws(SchemaError) {
        guard case .object(let members) = json else { throw SchemaError(path: "$", message: "must be an object") }
        for member in members where member.key != "keys" {
            throw SchemaError(path: "$.\(member.key)", message: "unknown key")
        }
        guard case .array(let entries)? = json["keys"] else {
            throw SchemaError(path: "$.keys", message: "must be an array")
        }
        var keys: [Key] = []
        for (index, entry) in entries.enumerated() {
            guard case .object(let fields) = entry else {
                throw SchemaError(path: "$.keys[\(index)]", message: "must be an object")
            }
            for field in fields where !["id", "secret", "createdAt"].contains(field.key) {
                throw SchemaError(path: "$.keys[\(index)].\(field.key)", message: "unknown key")
            }
            guard let id = entry["id"]?.stringValue else {
                throw SchemaError(path: "$.keys[\(index)].id", message: "must be a string")
            }
            guard let secretText = entry["secret"]?.stringValue, let secret = Base64.decode(secretText) else {
                throw SchemaError(path: "$.keys[\(index)].secret", message: "must be base64")
            }
            keys.append(Key(id: id, secret: secret))
        }
        try self.init(keys: keys)
    }

    /// The keyring file's JSON.
    public var json: JSONValue {
        .object([
            JSONMember(
                key: "keys",
                value: .array(
                    keys.map {
                        .object([
                            JSONMember(key: "id", value: .string($0.id)),
                            JSONMember(key: "secret", value: .string(Base64.encode($0.secret))),
                        ])
                    }))
        ])
    }
}
