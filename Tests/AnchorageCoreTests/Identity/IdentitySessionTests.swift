import AnchorageCore
import Testing

@Suite struct IdentitySessionTests {
    static func identity(subject: [(shortName: String, value: String)], serial: [UInt8]) -> CertificateIdentity {
        CertificateIdentity(
            subject: DistinguishedName(subject), issuer: DistinguishedName([("CN", "CA")]), serialNumberBytes: serial)
    }

    static let cn61 = String(repeating: "a", count: 61)
    static let cn62 = String(repeating: "b", count: 62)
    static let cn64 = String(repeating: "c", count: 64)
    static let cn65 = String(repeating: "d", count: 65)

    @Test(
        arguments: [
            ("Alice", [0x01, 0x23], "CN=Alice"),
            (cn61, [0x01], "CN=" + cn61),
            (cn62, [0x01], cn62),
            (cn64, [0x01], cn64),
            (cn65, [0x45, 0x67], "ID=4567"),  // too long for STS: fall back to the serial
            (nil, [0x01, 0x23], "ID=0123"),  // decimal 291
            (nil, [0x45, 0x67], "ID=4567"),  // decimal 17767
            (nil, [0x00, 0xAB, 0x0C], "ID=ab0c"),  // DER sign byte dropped, lowercase
        ] as [(String?, [UInt8], String)])
    func sourceIdentity(_ cn: String?, _ serial: [UInt8], _ expected: String) {
        let subject: [(shortName: String, value: String)] = [("O", "Example")] + (cn.map { [("CN", $0)] } ?? [])
        #expect(SourceIdentity.derive(from: Self.identity(subject: subject, serial: serial)) == expected)
    }

    @Test func sourceIdentityUsesFirstCommonName() {
        let identity = Self.identity(subject: [("CN", "first"), ("CN", "second")], serial: [1])
        #expect(SourceIdentity.derive(from: identity) == "CN=first")
    }

    @Test(
        arguments: [
            ([0x01, 0x23], "0123"), ([0x0a], "0a"), ([], "00"), ([0, 0], "00"), ([0x00, 0xff, 0x10], "ff10"),
        ] as [([UInt8], String)])
    func serialHex(_ bytes: [UInt8], _ hex: String) {
        #expect(Self.identity(subject: [], serial: bytes).serialHex == hex)
    }

    @Test(
        arguments: [
            (nil, 3600, 3600, Result<Int, SessionDurationError>.success(3600)),  // nil request → profile
            (900, 3600, 3600, .success(900)),  // request lower
            (7200, 3600, 43200, .success(3600)),  // profile lower
            (43200, 43200, 43200, .success(43200)),
            (899, 3600, 3600, .failure(.outOfRange)),
            (43201, 3600, 43200, .failure(.outOfRange)),
            (0, 3600, 3600, .failure(.outOfRange)),
            (nil, 7200, 3600, .failure(.exceedsRoleMaximum)),
            (5000, 7200, 3600, .failure(.exceedsRoleMaximum)),
            (3000, 7200, 3600, .success(3000)),  // the minimum is what must fit the role
        ] as [(Int?, Int, Int, Result<Int, SessionDurationError>)])
    func sessionDuration(
        _ requested: Int?, _ profile: Int, _ roleMaximum: Int, _ expected: Result<Int, SessionDurationError>
    ) {
        #expect(
            SessionDuration.resolve(requested: requested, profileDuration: profile, roleMaximum: roleMaximum)
                == expected)
    }

    @Test(arguments: [
        ("ab", true), ("a", false), ("", false), (String(repeating: "x", count: 64), true),
        (String(repeating: "x", count: 65), false), ("alice@example.com", true), ("A_b+c=d,e.f@g-h", true),
        ("with space", false), ("slash/no", false), ("zoë", false), ("colon:no", false),
    ])
    func roleSessionName(_ name: String, _ valid: Bool) {
        #expect(RoleSessionName.validate(name) == valid)
    }
}
