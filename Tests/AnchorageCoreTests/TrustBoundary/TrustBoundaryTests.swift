import AnchorageCore
import AnchorageCrypto
import Testing

/// Decision tables for the trust boundary: each attack of issue 16 beside its honest neighbour, decided by
/// the request path (`createSession`, signature and all) and by `explain`, which must agree.
@Suite struct TrustBoundaryTests {
    static let tenant = "123456789012"
    static let other = "111111111111"
    static let fixture = BoundaryFixture.shared
    static let service = CreateSessionService(
        keyring: TokenKeyring.generate(id: "k-boundary", random: SystemRandomSource()))

    /// The outcome of the request path, after checking that `explain` reaches the same reason.
    static func decide(
        _ workload: BoundaryFixture.Workload, _ configuration: Configuration, anchor: String, profile: String,
        role: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> CreateSessionOutcome {
        let outcome = service.createSession(
            try fixture.signedRequest(workload, trustAnchorArn: anchor, profileArn: profile, roleArn: role),
            configuration: configuration, now: BoundaryFixture.now)
        let explanation = service.explain(
            fixture.sessionRequest(workload, trustAnchorArn: anchor, profileArn: profile, roleArn: role),
            configuration: configuration, now: BoundaryFixture.now)
        #expect(
            explanation.reason == outcome.denialReason, "explain and serve disagree", sourceLocation: sourceLocation)
        return outcome
    }

    /// AWS's documented tag-only trust policy: it relies on the service never crossing accounts.
    static let tagOnlyPolicy = BoundaryFixture.policy(
        allow: #""StringEquals": {"aws:PrincipalTag/x509Subject/OU": "web"}"#)

    /// One trust anchor, profile and role, all in the tenant's account and us-east-1.
    struct Tenant {
        var anchor: String
        var profile: String
        var role: String
        var configuration: Configuration
    }

    static func singleTenant(role name: String, policy: String) throws -> Tenant {
        let anchor = BoundaryFixture.anchorArn(account: tenant, region: "us-east-1")
        let profile = BoundaryFixture.profileArn(account: tenant, region: "us-east-1")
        let role = BoundaryFixture.roleArn(account: tenant, name: name)
        let configuration = Configuration(
            generation: 1, trustAnchors: [try fixture.anchor(anchor)],
            profiles: [BoundaryFixture.profile(profile, roles: [role])],
            roles: [try BoundaryFixture.role(role, policy: policy)])
        return Tenant(anchor: anchor, profile: profile, role: role, configuration: configuration)
    }

    // MARK: 1. Accounts and regions

    @Test func anchorOfAnotherAccountGetsNoRoleOfThisOne() throws {
        let web = try Self.fixture.leaf(cn: "web-1", serial: [0x01])
        let foreignAnchor = BoundaryFixture.anchorArn(account: Self.other, region: "us-east-1")
        let ownAnchor = BoundaryFixture.anchorArn(
            account: Self.tenant, region: "us-east-1", id: "0b7e1f3c-2222-4e5f-8a9b-aaaaaaaaaaaa")
        let profile = BoundaryFixture.profileArn(account: Self.tenant, region: "us-east-1")
        let role = BoundaryFixture.roleArn(account: Self.tenant, name: "web-reader")
        let configuration = Configuration(
            generation: 1,
            trustAnchors: [try Self.fixture.anchor(foreignAnchor), try Self.fixture.anchor(ownAnchor)],
            profiles: [BoundaryFixture.profile(profile, roles: [role])],
            roles: [try BoundaryFixture.role(role, policy: Self.tagOnlyPolicy)])

        let attack = try Self.decide(web, configuration, anchor: foreignAnchor, profile: profile, role: role)
        #expect(attack.denialReason == .accountMismatch)
        #expect(
            DenialReason.accountMismatch.wireError
                == WireError(status: 403, type: "AccessDeniedException", message: "Access denied"))
        let honest = try Self.decide(web, configuration, anchor: ownAnchor, profile: profile, role: role)
        #expect(honest.denialReason == nil, "\(honest.detail)")
    }

    @Test func roleOfAnotherAccountIsRefusedEvenWhenTheProfileListsIt() throws {
        let web = try Self.fixture.leaf(cn: "web-1", serial: [0x02])
        let anchor = BoundaryFixture.anchorArn(account: Self.tenant, region: "us-east-1")
        let profile = BoundaryFixture.profileArn(account: Self.tenant, region: "us-east-1")
        let foreignRole = BoundaryFixture.roleArn(account: Self.other, name: "web-reader")
        let ownRole = BoundaryFixture.roleArn(account: Self.tenant, name: "web-reader")
        let configuration = Configuration(
            generation: 1, trustAnchors: [try Self.fixture.anchor(anchor)],
            profiles: [BoundaryFixture.profile(profile, roles: [foreignRole, ownRole])],
            roles: [
                try BoundaryFixture.role(foreignRole, policy: Self.tagOnlyPolicy),
                try BoundaryFixture.role(ownRole, policy: Self.tagOnlyPolicy),
            ])
        #expect(
            try Self.decide(web, configuration, anchor: anchor, profile: profile, role: foreignRole).denialReason
                == .accountMismatch)
        #expect(
            try Self.decide(web, configuration, anchor: anchor, profile: profile, role: ownRole).denialReason == nil)
    }

    @Test func anchorOfAnotherRegionGetsNoProfileOfThisOne() throws {
        let web = try Self.fixture.leaf(cn: "web-1", serial: [0x03])
        let westAnchor = BoundaryFixture.anchorArn(account: Self.tenant, region: "us-west-2")
        let eastProfile = BoundaryFixture.profileArn(account: Self.tenant, region: "us-east-1")
        let westProfile = BoundaryFixture.profileArn(
            account: Self.tenant, region: "us-west-2", id: "11111111-1c4d-4e5f-8a9b-0c1d2e3f4a5b")
        let role = BoundaryFixture.roleArn(account: Self.tenant, name: "web-reader")
        let configuration = Configuration(
            generation: 1, trustAnchors: [try Self.fixture.anchor(westAnchor)],
            profiles: [
                BoundaryFixture.profile(eastProfile, roles: [role]),
                BoundaryFixture.profile(westProfile, roles: [role]),
            ],
            roles: [try BoundaryFixture.role(role, policy: Self.tagOnlyPolicy)])
        #expect(
            try Self.decide(web, configuration, anchor: westAnchor, profile: eastProfile, role: role).denialReason
                == .regionMismatch)
        #expect(
            try Self.decide(web, configuration, anchor: westAnchor, profile: westProfile, role: role).denialReason
                == nil)
    }

    @Test func credentialScopeOfAnotherRegionIsRefused() throws {
        let web = try Self.fixture.leaf(cn: "web-1", serial: [0x04])
        let tenant = try Self.singleTenant(role: "web-reader", policy: Self.tagOnlyPolicy)
        let (anchor, profile, role) = (tenant.anchor, tenant.profile, tenant.role)
        let configuration = tenant.configuration
        let west = try Self.fixture.signedRequest(
            web, trustAnchorArn: anchor, profileArn: profile, roleArn: role, region: "us-west-2")
        #expect(
            Self.service.createSession(west, configuration: configuration, now: BoundaryFixture.now).denialReason
                == .wrongRegion)
        let east = try Self.fixture.signedRequest(web, trustAnchorArn: anchor, profileArn: profile, roleArn: role)
        #expect(
            Self.service.createSession(east, configuration: configuration, now: BoundaryFixture.now).denialReason == nil
        )
    }

    // MARK: 2. Revoking an issuing CA

    struct RevocationCase: Sendable, CustomStringConvertible {
        var name: String
        var revoke: @Sendable (BoundaryFixture) -> Revocation.Selector
        var revoked: Bool
        var description: String { name }
    }

    static let revocationCases: [RevocationCase] = [
        .init(
            name: "intermediate by serial",
            revoke: { .certificateSerial($0.intermediate.serialNumberHex, trustAnchorArn: nil) }, revoked: true),
        .init(
            name: "intermediate by serial, scoped to the anchor",
            revoke: {
                .certificateSerial(
                    $0.intermediate.serialNumberHex,
                    trustAnchorArn: BoundaryFixture.anchorArn(account: tenant, region: "us-east-1"))
            }, revoked: true),
        .init(
            name: "intermediate by SHA-256", revoke: { .certificateSHA256($0.intermediate.sha256Fingerprint) },
            revoked: true),
        .init(name: "root by SHA-256", revoke: { .certificateSHA256($0.root.sha256Fingerprint) }, revoked: true),
        .init(
            name: "an unrelated serial", revoke: { _ in .certificateSerial("7f7f", trustAnchorArn: nil) },
            revoked: false),
        .init(
            name: "the intermediate's serial under another anchor",
            revoke: {
                .certificateSerial(
                    $0.intermediate.serialNumberHex,
                    trustAnchorArn: BoundaryFixture.anchorArn(account: other, region: "us-east-1"))
            }, revoked: false),
    ]

    @Test(arguments: revocationCases) func revokingACertificateOfThePathRevokesTheLeafAndItsSessions(
        _ c: RevocationCase
    ) throws {
        let web = try Self.fixture.leaf(cn: "web-1", serial: [0x05])
        let tenant = try Self.singleTenant(role: "web-reader", policy: Self.tagOnlyPolicy)
        let (anchor, profile, role) = (tenant.anchor, tenant.profile, tenant.role)
        var configuration = tenant.configuration

        // A session issued before the revocation.
        let before = try Self.decide(web, configuration, anchor: anchor, profile: profile, role: role)
        guard case .issued(let response) = before.result else {
            Issue.record("not issued before the revocation: \(before.detail)")
            return
        }
        configuration.revocations = RevocationList([
            Revocation(id: "r-1", selector: c.revoke(Self.fixture), revokedAt: BoundaryFixture.now)
        ])

        let after = try Self.decide(web, configuration, anchor: anchor, profile: profile, role: role)
        #expect(after.denialReason == (c.revoked ? .certificateRevokedByAdministrator : nil), "\(after.detail)")

        let sts = STSService(sharedKeyring: Self.service.sharedKeyring)
        let credentials = response.credentials
        let call = STSTestSigner.post(
            .init(
                accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey,
                sessionToken: credentials.sessionToken),
            at: BoundaryFixture.now + 60)
        let outcome = sts.handle(call, configuration: configuration, now: BoundaryFixture.now + 60)
        switch outcome.result {
        case .success: #expect(!c.revoked, "the session of a leaf under a revoked CA still passes STS")
        case .failure(let failure): #expect(c.revoked, "\(failure)")
        }
    }

    // MARK: 3. Look-alike subjects

    @Test func lookAlikeCommonNameGetsNoAdminRole() throws {
        let tenant = try Self.singleTenant(
            role: "admin",
            policy: BoundaryFixture.policy(allow: #""StringEquals": {"aws:PrincipalTag/x509Subject/CN": "K8s-admin"}"#))
        let (anchor, profile, admin) = (tenant.anchor, tenant.profile, tenant.role)
        let configuration = tenant.configuration
        let honest = try Self.fixture.leaf(cn: "K8s-admin", serial: [0x06])
        #expect(
            try Self.decide(honest, configuration, anchor: anchor, profile: profile, role: admin).denialReason == nil)
        for (index, cn) in ["\u{212A}8s-admin", "k8s-admin", "K8s-admin\u{200B}"].enumerated() {
            let lookAlike = try Self.fixture.leaf(cn: cn, serial: [0x07, UInt8(index)])
            #expect(
                try Self.decide(lookAlike, configuration, anchor: anchor, profile: profile, role: admin).denialReason
                    == .trustPolicyNotAllowed, "CN \(cn.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }

    @Test(arguments: [("\u{212B}ngstr\u{F6}m", "\u{C5}ngstr\u{F6}m"), ("\u{1100}\u{1161}", "\u{AC00}")])
    func canonicallyEquivalentSubjectsAreDifferentSubjects(_ pair: (lookAlike: String, policy: String)) throws {
        let tenant = try Self.singleTenant(
            role: "team",
            policy: BoundaryFixture.policy(
                allow: #""StringEquals": {"aws:PrincipalTag/x509Subject/CN": "\#(pair.policy)"}"#))
        let (anchor, profile, role) = (tenant.anchor, tenant.profile, tenant.role)
        let configuration = tenant.configuration
        let honest = try Self.fixture.leaf(cn: pair.policy, serial: [0x08])
        let lookAlike = try Self.fixture.leaf(cn: pair.lookAlike, serial: [0x09])
        #expect(
            try Self.decide(honest, configuration, anchor: anchor, profile: profile, role: role).denialReason == nil)
        #expect(
            try Self.decide(lookAlike, configuration, anchor: anchor, profile: profile, role: role).denialReason
                == .trustPolicyNotAllowed)
    }

    /// A Deny on a prefix fires for the real prefix and, consistently with StringEquals, not for a look-alike.
    @Test func denyStringLikeAgreesWithStringEquals() throws {
        let tenant = try Self.singleTenant(
            role: "general",
            policy: BoundaryFixture.policy(
                allow: #""StringEquals": {"aws:PrincipalTag/x509Subject/OU": "web"}"#,
                deny: #""StringLike": {"aws:PrincipalTag/x509Subject/CN": "K8s-*"}"#))
        let (anchor, profile, role) = (tenant.anchor, tenant.profile, tenant.role)
        let configuration = tenant.configuration
        let real = try Self.fixture.leaf(cn: "K8s-admin", serial: [0x0A])
        #expect(
            try Self.decide(real, configuration, anchor: anchor, profile: profile, role: role).denialReason
                == .trustPolicyDenied)
        let other = try Self.fixture.leaf(cn: "web-1", serial: [0x0B])
        #expect(try Self.decide(other, configuration, anchor: anchor, profile: profile, role: role).denialReason == nil)
    }
}
