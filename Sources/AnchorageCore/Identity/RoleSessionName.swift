/// The STS rules for a caller-chosen role session name.
public enum RoleSessionName {
    /// Whether `name` is a valid STS `RoleSessionName`: 2–64 characters of `[A-Za-z0-9_+=,.@-]`
    /// (STS's `[\w+=,.@-]*`, where `\w` is ASCII only).
    public static func validate(_ name: String) -> Bool {
        let scalars = name.unicodeScalars
        return (2...64).contains(scalars.count)
            && scalars.allSatisfy { s in
                s.isASCII
                    && (s.properties.isAlphabetic || ("0"..."9").contains(s) || "_+=,.@-".unicodeScalars.contains(s))
            }
    }
}
