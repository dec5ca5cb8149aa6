/// The TLS protocol versions the client may offer, by their wire value: 1.2 and 1.3 only.
public enum TLSProtocolVersion: Int32, Sendable, Comparable {
    case tls12 = 0x0303
    case tls13 = 0x0304

    /// Older versions sort first.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}
