import AnchorageCore
import AnchorageCrypto
import Testing

/// Random configurations (anchors, profiles and roles over three accounts and three regions, trust policies
/// with random string conditions) and random certificates (look-alike subjects among them), decided by the
/// service and by a small model of the rules written independently of it:
///
/// credentials only for a role listed by an enabled profile, with the anchor, profile and role in one
/// account and the anchor and profile in one region, whose trust policy has an applicable Allow and no
/// applicable Deny, with strings compared code point by code point.
@Suite struct TrustBoundaryPropertyTests {
    static let accounts = ["111111111111", "123456789012", "999999999999"]
    static let regions = ["us-east-1", "us-west-2", "eu-west-1"]
    /// Subject values: each honest value beside look-alikes (canonically equivalent, Unicode-case-equal,
    /// ASCII-case-different, one code point longer).
    static let values = [
        "K8s-admin", "\u{212A}8s-admin", "k8s-admin", "K8S-ADMIN", "K8s-admin\u{200B}",
        "\u{C5}sa", "\u{212B}sa", "A\u{30A}sa", "\u{E5}sa",
        "\u{AC00}", "\u{1100}\u{1161}", "web", "Web", "db",
    ]
    static let patterns = ["K8s-*", "*admin", "?8s-admin", "\u{C5}*", "?sa", "??sa", "*", "w?b", "\u{AC00}", "?"]
    static let operators = [
        "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike",
        "StringNotLike",
    ]
    static let fixture = BoundaryFixture.shared
    static let service = CreateSessionService(
        keyring: TokenKeyring.generate(id: "k-property", random: SystemRandomSource()))

    /// SplitMix64: a fixed seed makes every failure reproducible.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
        mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
        /// Mostly the first item: configurations that line up often enough to issue credentials.
        mutating func biased(_ items: [String]) -> String { chance(60) ? items[0] : pick(items) }
    }

    // MARK: - The model

    struct ModelCondition {
        var op: String
        var key: String  // "CN" or "OU"
        var values: [String]
    }

    struct ModelStatement {
        var allow: Bool
        var conditions: [ModelCondition]
    }

    struct ModelRole {
        var account: String
        var name: String
        var statements: [ModelStatement]
        var arn: String { BoundaryFixture.roleArn(account: account, name: name) }
    }

    struct ModelProfile {
        var account: String
        var region: String
        var id: String
        var enabled: Bool
        var roles: [String]
        var arn: String { BoundaryFixture.profileArn(account: account, region: region, id: id) }
    }

    struct ModelAnchor {
        var account: String
        var region: String
        var id: String
        var enabled: Bool
        var arn: String { BoundaryFixture.anchorArn(account: account, region: region, id: id) }
    }

    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }
    static func fold(_ s: String) -> [UInt8] { s.utf8.map { (65...90).contains($0) ? $0 + 32 : $0 } }

    /// Glob over code points, recursive and written for clarity (inputs here are short).
    static func glob(_ p: ArraySlice<Unicode.Scalar>, _ v: ArraySlice<Unicode.Scalar>) -> Bool {
        guard let first = p.first else { return v.isEmpty }
        if first == "*" { return glob(p.dropFirst(), v) || (!v.isEmpty && glob(p, v.dropFirst())) }
        guard let head = v.first else { return false }
        return (first == "?" || first == head) && glob(p.dropFirst(), v.dropFirst())
    }

    static func modelMatches(_ op: String, _ value: String, _ policy: String) -> Bool {
        switch op {
        case "StringEquals", "StringNotEquals": return bytes(value) == bytes(policy)
        case "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase": return fold(value) == fold(policy)
        default: return glob(ArraySlice(Array(policy.unicodeScalars)), ArraySlice(Array(value.unicodeScalars)))
        }
    }

    /// STS tag values are letters, numbers, separators and `_.:/=+-@`; an attribute whose value has anything
    /// else (a combining mark, a zero-width space) yields no tag, so its key is missing.
    static func isTagValue(_ value: String) -> Bool {
        value.unicodeScalars.allSatisfy { scalar in
            switch scalar.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .spaceSeparator,
                .lineSeparator, .paragraphSeparator, .decimalNumber, .letterNumber, .otherNumber:
                return true
            default:
                return "_.:/=+-@".unicodeScalars.contains(scalar)
            }
        }
    }

    /// A missing key fails the positive operators and satisfies the negated ones (no qualifier, no IfExists).
    static func modelHolds(_ condition: ModelCondition, subject: [String: String]) -> Bool {
        let negated = condition.op.contains("Not")
        guard let value = subject[condition.key], isTagValue(value) else { return negated }
        let any = condition.values.contains { modelMatches(condition.op, value, $0) }
        return negated ? !any : any
    }

    static func modelAllows(
        anchor: ModelAnchor?, profile: ModelProfile?, role: ModelRole?, requestedRole: String, subject: [String: String]
    ) -> Bool {
        guard let anchor, anchor.enabled, let profile, profile.enabled, profile.roles.contains(requestedRole),
            let role, anchor.account == profile.account, anchor.account == role.account,
            anchor.region == profile.region
        else { return false }
        let applicable = role.statements.filter { $0.conditions.allSatisfy { modelHolds($0, subject: subject) } }
        return applicable.contains(where: \.allow) && !applicable.contains { !$0.allow }
    }

    // MARK: - Rendering the model as configuration

    static func policyJSON(_ statements: [ModelStatement]) -> String {
        func quoted(_ s: String) -> String { JSONWriter.quoted(s) }
        let rendered = statements.map { statement -> String in
            var byOperator: [String: [String]] = [:]
            for condition in statement.conditions {
                byOperator[condition.op, default: []].append(
                    "\(quoted("aws:PrincipalTag/x509Subject/" + condition.key)): [\(condition.values.map(quoted).joined(separator: ", "))]"
                )
            }
            let block = byOperator.keys.sorted().map { "\(quoted($0)): {\(byOperator[$0]!.joined(separator: ", "))}" }
            let conditions = block.isEmpty ? "" : #", "Condition": {\#(block.joined(separator: ", "))}"#
            return
                #"{"Effect": "\#(statement.allow ? "Allow" : "Deny")", "Principal": {"Service": "rolesanywhere.amazonaws.com"}, "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]\#(conditions)}"#
        }
        return #"{"Version": "2012-10-17", "Statement": [\#(rendered.joined(separator: ", "))]}"#
    }

    static func randomStatement(_ g: inout Generator) -> ModelStatement {
        var conditions: [ModelCondition] = []
        var used: Set<String> = []
        for _ in 0..<g.below(3) {
            let op = g.pick(operators)
            let key = g.pick(["CN", "OU"])
            // One key per operator, as a JSON object holds it.
            guard used.insert(op + key).inserted else { continue }
            let pool = op.contains("Like") ? patterns : values
            conditions.append(ModelCondition(op: op, key: key, values: (0...g.below(2)).map { _ in g.pick(pool) }))
        }
        return ModelStatement(allow: g.chance(75), conditions: conditions)
    }

    @Test func decisionsAgreeWithTheModel() throws {
        var g = Generator(state: 0x5EED_0016)
        let ids = ["4a1c52e0-7d6b-4b7e-9a55-0e6f4c3b9d21", "0b7e1f3c-2222-4e5f-8a9b-aaaaaaaaaaaa"]
        // A pool of certificates: every value as CN, a few OUs.
        var workloads: [(BoundaryFixture.Workload, [String: String])] = []
        for (index, cn) in Self.values.enumerated() {
            let ou = ["web", "Web", "db", "\u{212A}"][index % 4]
            workloads.append(
                (try Self.fixture.leaf(cn: cn, ou: ou, serial: [0x30, UInt8(index)]), ["CN": cn, "OU": ou]))
        }
        var allowedCount = 0, crossCount = 0, signedCount = 0
        for round in 0..<300 {
            var anchors: [ModelAnchor] = []
            for i in 0..<(1 + g.below(3)) {
                anchors.append(
                    ModelAnchor(
                        account: g.biased(Self.accounts), region: g.biased(Self.regions),
                        id: "\(i)\(ids[0].dropFirst())",
                        enabled: g.chance(90)))
            }
            var roles: [ModelRole] = []
            for i in 0..<(1 + g.below(3)) {
                roles.append(
                    ModelRole(
                        account: g.biased(Self.accounts), name: "role-\(i)",
                        statements: (0..<(1 + g.below(3))).map { _ in Self.randomStatement(&g) }))
            }
            var profiles: [ModelProfile] = []
            for i in 0..<(1 + g.below(3)) {
                profiles.append(
                    ModelProfile(
                        account: g.biased(Self.accounts), region: g.biased(Self.regions),
                        id: "\(i)\(ids[1].dropFirst())",
                        enabled: g.chance(90), roles: roles.filter { _ in g.chance(70) }.map(\.arn)))
            }
            // Anchors sharing an ARN would be one anchor: keep the first.
            anchors = anchors.reduce(into: []) { kept, a in
                if !kept.contains(where: { $0.arn == a.arn }) { kept.append(a) }
            }
            roles = roles.reduce(into: []) { kept, r in if !kept.contains(where: { $0.arn == r.arn }) { kept.append(r) }
            }
            profiles = profiles.reduce(into: []) { kept, p in
                if !kept.contains(where: { $0.arn == p.arn }) { kept.append(p) }
            }
            let configuration = Configuration(
                generation: round,
                trustAnchors: try anchors.map { try Self.fixture.anchor($0.arn, enabled: $0.enabled) },
                profiles: profiles.map { BoundaryFixture.profile($0.arn, roles: $0.roles, enabled: $0.enabled) },
                roles: try roles.map { try BoundaryFixture.role($0.arn, policy: Self.policyJSON($0.statements)) })

            for _ in 0..<6 {
                let anchor = g.pick(anchors), profile = g.pick(profiles), role = g.pick(roles)
                let (workload, subject) = g.pick(workloads)
                let expected = Self.modelAllows(
                    anchor: anchor, profile: profile, role: role, requestedRole: role.arn, subject: subject)
                let explanation = Self.service.explain(
                    Self.fixture.sessionRequest(
                        workload, trustAnchorArn: anchor.arn, profileArn: profile.arn, roleArn: role.arn),
                    configuration: configuration, now: BoundaryFixture.now)
                let context =
                    "round \(round): anchor \(anchor.arn) (enabled \(anchor.enabled)), profile \(profile.arn) (enabled \(profile.enabled), roles \(profile.roles)), role \(role.arn), subject \(subject.mapValues { $0.unicodeScalars.map { String($0.value, radix: 16) } }), policy \(Self.policyJSON(role.statements)); service: \(explanation.reason?.rawValue ?? "allowed") \(explanation.detail)"
                #expect((explanation.reason == nil) == expected, "\(context)")
                let crosses =
                    anchor.account != profile.account || anchor.region != profile.region
                    || anchor.account != role.account
                if crosses && anchor.enabled && profile.enabled && profile.roles.contains(role.arn) {
                    crossCount += 1
                    #expect(
                        explanation.reason == .accountMismatch || explanation.reason == .regionMismatch, "\(context)")
                }
                if expected { allowedCount += 1 }
                // Every fifth request also goes through the signed request path.
                if g.chance(20) {
                    signedCount += 1
                    let outcome = Self.service.createSession(
                        try Self.fixture.signedRequest(
                            workload, trustAnchorArn: anchor.arn, profileArn: profile.arn, roleArn: role.arn),
                        configuration: configuration, now: BoundaryFixture.now)
                    #expect(outcome.denialReason == explanation.reason, "\(context)")
                }
            }
        }
        // The generator must exercise both outcomes and the boundary, or the agreement above proves little.
        #expect(allowedCount > 50)
        #expect(crossCount > 100)
        #expect(signedCount > 200)
    }
}
