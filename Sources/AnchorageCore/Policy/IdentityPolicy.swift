/// One inline identity policy of a role, as IAM's `RoleDetail.RolePolicyList` spells it: a name and its document.
public struct IdentityPolicy: Equatable, Sendable {
    /// `PolicyName`: unique within the role.
    public var name: String
    /// `PolicyDocument`, parsed as an identity policy (``PolicyDocument/Kind/identity``).
    public var document: PolicyDocument

    public init(name: String, document: PolicyDocument) {
        self.name = name
        self.document = document
    }

    /// Whether `name` is a valid IAM policy name: 1–128 characters of `[A-Za-z0-9+=,.@_-]`.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 128
            && name.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"):
                    return true
                default:
                    return "+=,.@_-".utf8.contains(byte)
                }
            }
    }
}
