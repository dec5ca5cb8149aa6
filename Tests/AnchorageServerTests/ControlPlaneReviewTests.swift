import AnchorageConfig
import AnchorageCore
import AnchorageServer
import Foundation
import Testing

/// Holes found reviewing the control plane, each pinned by the request that used to get through.
@Suite struct ControlPlaneReviewTests {
    typealias Fixture = ControlPlaneRouteTests.Fixture

    /// IAM tag keys are case-insensitive; condition keys are too. `team=pki` beside `Team=admin` made
    /// `aws:RequestTag/team` two-valued, and a single-valued `StringEquals` holds when any value matches, so the
    /// condition let `Team=admin` through.
    @Test func tagKeysDifferingOnlyInCaseCannotSmuggleAValuePastARequestTagCondition() throws {
        let fixture = try Fixture()
        let admin = fixture.credentials(role: ControlPlaneRouteTests.admin)
        let policy = #"""
            {"Statement": [
              {"Effect": "Allow", "Action": "iam:TagRole", "Resource": "*",
               "Condition": {"StringEquals": {"aws:RequestTag/team": "pki"}}},
              {"Effect": "Allow", "Action": "iam:ListRoleTags", "Resource": "*"}
            ]}
            """#
        var (response, body) = fixture.iam(
            admin,
            [("Action", "PutRolePolicy"), ("RoleName", "workload"), ("PolicyName", "tags"), ("PolicyDocument", policy)])
        #expect(response.status == 200, "\(body)")
        try fixture.service.configurations.reload()
        let workload = fixture.credentials(role: ControlPlaneRouteTests.workload)
        (response, body) = fixture.iam(
            workload,
            [
                ("Action", "TagRole"), ("RoleName", "workload"), ("Tags.member.1.Key", "team"),
                ("Tags.member.1.Value", "pki"), ("Tags.member.2.Key", "Team"), ("Tags.member.2.Value", "admin"),
            ])
        #expect(response.status == 400, "\(body)")
        #expect(body.contains("<Code>ValidationError</Code>"), "\(body)")
        (response, body) = fixture.iam(workload, [("Action", "ListRoleTags"), ("RoleName", "workload")])
        #expect(response.status == 200, "\(body)")
        #expect(!body.contains("admin"), "\(body)")

        // A tag whose key differs only in case replaces the role's tag, as IAM does: the role never holds both.
        (response, body) = fixture.tagRole(admin, "workload", "Team", "ops")
        #expect(response.status == 200, "\(body)")
        (response, body) = fixture.tagRole(workload, "workload", "team", "pki")
        #expect(response.status == 200, "\(body)")
        (response, body) = fixture.iam(workload, [("Action", "ListRoleTags"), ("RoleName", "workload")])
        #expect(body.components(separatedBy: "<Key>").count - 1 == 1, "\(body)")
        #expect(!body.contains("ops"), "\(body)")

        // CreateRole refuses the same pair.
        (response, body) = fixture.iam(
            admin,
            [
                ("Action", "CreateRole"), ("RoleName", "twins"),
                ("AssumeRolePolicyDocument", ControlPlaneRouteTests.trustText), ("Tags.member.1.Key", "env"),
                ("Tags.member.1.Value", "dev"), ("Tags.member.2.Key", "ENV"), ("Tags.member.2.Value", "prod"),
            ])
        #expect(response.status == 400, "\(body)")
        #expect(!FileManager.default.fileExists(atPath: fixture.rolesDirectory + "/twins.json"))
    }

    /// A profile's session policy limits what its sessions may do, as AWS intersects the role's identity policies
    /// with the session policies: a session from a read-only profile of the admin role is not an admin.
    @Test func theProfilesSessionPolicyLimitsItsSessions() throws {
        let fixture = try Fixture()
        let writer = ConfigurationWriter(
            pkiDirectory: fixture.root + "/PKI", profilesDirectory: fixture.root + "/Profiles", synced: false)
        let readOnly = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}]}"#
        // The fixture's sessions come from profile `y`.
        try writer.writeProfile(
            ProfileDocument(
                name: "y", arn: "arn:aws:rolesanywhere:us-east-1:123456789012:profile/y",
                roleArns: [ControlPlaneRouteTests.admin], sessionPolicy: readOnly))
        try fixture.service.configurations.reload()
        let admin = fixture.credentials(role: ControlPlaneRouteTests.admin)
        var (response, body) = fixture.iam(admin, [("Action", "GetRole"), ("RoleName", "workload")])
        #expect(response.status == 200, "\(body)")
        (response, body) = fixture.iam(
            admin, [("Action", "UpdateRole"), ("RoleName", "workload"), ("MaxSessionDuration", "7200")])
        #expect(response.status == 403, "\(body)")
        #expect(try fixture.auditLine(response)["reason"]?.stringValue == "session_policy")
        #expect(try fixture.loads().roles[ControlPlaneRouteTests.workload]?.maxSessionDuration == 3600)

        // Managed policy ARNs are session policies Anchorage cannot read: their sessions get nothing more.
        try writer.writeProfile(
            ProfileDocument(
                name: "y", arn: "arn:aws:rolesanywhere:us-east-1:123456789012:profile/y",
                roleArns: [ControlPlaneRouteTests.admin],
                managedPolicyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"]))
        try fixture.service.configurations.reload()
        (response, body) = fixture.iam(admin, [("Action", "GetRole"), ("RoleName", "workload")])
        #expect(response.status == 403, "\(body)")
        #expect(try fixture.auditLine(response)["reason"]?.stringValue == "session_policy")
    }

    /// IAM substitutes policy variables in 2012-10-17 identity policies; Anchorage compares them as literal text, so
    /// a `Deny` on `role/${aws:PrincipalTag/team}` never applied and its `Allow` beside it went through. Such a
    /// document is refused rather than silently read differently.
    @Test func policyVariablesInAnIdentityPolicyAreRefusedNotReadLiterally() throws {
        let fixture = try Fixture()
        let admin = fixture.credentials(role: ControlPlaneRouteTests.admin)
        let policy = #"""
            {"Version": "2012-10-17", "Statement": [
              {"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*"},
              {"Effect": "Deny", "Action": "iam:GetRole",
               "Resource": "arn:aws:iam::123456789012:role/${aws:PrincipalTag/team}"}
            ]}
            """#
        let (response, body) = fixture.iam(
            admin,
            [("Action", "PutRolePolicy"), ("RoleName", "workload"), ("PolicyName", "p"), ("PolicyDocument", policy)])
        #expect(response.status == 400, "\(body)")
        #expect(body.contains("<Code>MalformedPolicyDocument</Code>"), "\(body)")
        #expect(try fixture.loads().roles[ControlPlaneRouteTests.workload]?.identityPolicies.isEmpty == true)
        // Under the 2008-10-17 grammar IAM reads `${…}` literally too: nothing to refuse.
        let literal = policy.replacingOccurrences(of: "2012-10-17", with: "2008-10-17")
        let (accepted, acceptedBody) = fixture.iam(
            admin,
            [("Action", "PutRolePolicy"), ("RoleName", "workload"), ("PolicyName", "p"), ("PolicyDocument", literal)])
        #expect(accepted.status == 200, "\(acceptedBody)")
    }

    /// IAM role names are per account: to a caller of account A, account B's role `foreign` does not exist. The
    /// answer was AccessDenied naming `arn:aws:iam::210987654321:role/foreign`, which told the caller the other
    /// account's id and the role's path (and that it exists, unlike a name nobody holds).
    @Test func anotherAccountsRoleIsNoSuchEntityAndItsArnIsNotShown() throws {
        let fixture = try Fixture()
        let admin = fixture.credentials(role: ControlPlaneRouteTests.admin)
        for action in ["GetRole", "ListRoleTags", "ListRolePolicies", "DeleteRole"] {
            let (response, body) = fixture.iam(admin, [("Action", action), ("RoleName", "foreign")])
            #expect(response.status == 404, "\(action): \(body)")
            #expect(body.contains("<Code>NoSuchEntity</Code>"), "\(action): \(body)")
            #expect(!body.contains("210987654321"), "\(action): \(body)")
            let line = try fixture.auditLine(response)
            #expect(line["resource"]?.stringValue == "arn:aws:iam::123456789012:role/foreign")
        }
        #expect(FileManager.default.fileExists(atPath: fixture.rolesDirectory + "/foreign.json"))
        // A caller without the permission still gets AccessDenied, as for any name.
        let (response, body) = fixture.iam(
            fixture.credentials(role: ControlPlaneRouteTests.workload),
            [("Action", "GetRole"), ("RoleName", "foreign")])
        #expect(response.status == 403, "\(body)")
        #expect(!body.contains("210987654321"), "\(body)")
    }

    /// Control characters are not XML: one in a role's description or tag made every later `GetRole` or
    /// `ListRoles` answer unparseable for every admin (botocore refuses the document). IAM's patterns refuse them.
    @Test func controlCharactersThatWouldBreakTheXMLAnswersAreRefused() throws {
        let fixture = try Fixture()
        let admin = fixture.credentials(role: ControlPlaneRouteTests.admin)
        var (response, body) = fixture.iam(
            admin, [("Action", "UpdateRole"), ("RoleName", "workload"), ("Description", "a\u{1}b")])
        #expect(response.status == 400, "\(body)")
        #expect(body.contains("<Code>ValidationError</Code>") && body.contains("escription"), "\(body)")
        (response, body) = fixture.tagRole(admin, "workload", "k\u{0}", "v")
        #expect(response.status == 400, "\(body)")
        (response, body) = fixture.tagRole(admin, "workload", "k", "v\u{1B}")
        #expect(response.status == 400, "\(body)")
        (response, body) = fixture.iam(admin, [("Action", "GetRole"), ("RoleName", "workload")])
        #expect(response.status == 200)
        #expect(!body.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "\(body)")
        // Tabs and line breaks are XML and IAM's description pattern: still fine.
        (response, body) = fixture.iam(
            admin, [("Action", "UpdateRole"), ("RoleName", "workload"), ("Description", "line one\n\tline two")])
        #expect(response.status == 200, "\(body)")
    }

    /// The session policy lives in the profile: once the profile is gone its sessions' limits are unknown, so they
    /// are refused, not given the whole role (deleting a read-only profile must not turn its sessions into admins).
    @Test func sessionsOfAProfileNoLongerInForceAreRefused() throws {
        let fixture = try Fixture()
        let writer = ConfigurationWriter(
            pkiDirectory: fixture.root + "/PKI", profilesDirectory: fixture.root + "/Profiles", synced: false)
        let readOnly = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}]}"#
        try writer.writeProfile(
            ProfileDocument(
                name: "y", arn: "arn:aws:rolesanywhere:us-east-1:123456789012:profile/y",
                roleArns: [ControlPlaneRouteTests.admin], sessionPolicy: readOnly))
        try fixture.service.configurations.reload()
        let admin = fixture.credentials(role: ControlPlaneRouteTests.admin)
        var (response, body) = fixture.iam(admin, [("Action", "GetRole"), ("RoleName", "workload")])
        #expect(response.status == 200, "\(body)")
        try FileManager.default.removeItem(atPath: fixture.root + "/Profiles/y.json")
        try fixture.service.configurations.reload()
        (response, body) = fixture.iam(
            admin, [("Action", "UpdateRole"), ("RoleName", "workload"), ("MaxSessionDuration", "7200")])
        #expect(response.status == 403, "\(body)")
        #expect(try fixture.auditLine(response)["reason"]?.stringValue == "profile_not_found")
        #expect(try fixture.loads().roles[ControlPlaneRouteTests.workload]?.maxSessionDuration == 3600)
    }

    /// No change may land without its audit record. A failing audit log answered 503 only after the operation had
    /// written the role file; now, once the log is known to fail (a failed write in the last seconds, too little
    /// space, the file gone), no call runs. The very first failing write still lands unaudited (see the report).
    @Test func whileTheAuditLogFailsNoCallChangesAFile() throws {
        let fixture = try Fixture(auditPath: "/dev/full")
        let admin = fixture.credentials(role: ControlPlaneRouteTests.admin)
        var (response, _) = fixture.iam(
            admin, [("Action", "UpdateRole"), ("RoleName", "workload"), ("MaxSessionDuration", "7200")])
        #expect(response.status == 503)
        (response, _) = fixture.iam(
            admin, [("Action", "UpdateRole"), ("RoleName", "workload"), ("MaxSessionDuration", "10800")])
        #expect(response.status == 503)
        #expect(try fixture.loads().roles[ControlPlaneRouteTests.workload]?.maxSessionDuration != 10800)
    }

    /// A role deleted and created again under the same name is a new role: sessions issued before it existed are
    /// the old role's (in AWS they carry the old role's unique id), and must not get the new role's policies.
    @Test func sessionsIssuedBeforeTheRoleWasCreatedGetNothingFromIt() throws {
        let fixture = try Fixture()
        let writer = ConfigurationWriter(
            pkiDirectory: fixture.root + "/PKI", profilesDirectory: fixture.root + "/Profiles", synced: false)
        let now = SystemClock().seconds
        let everything = try JSONParser.parse(
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}"#)
        // The workload session is issued now; its role is then recreated (a minute later) with admin powers.
        let workload = fixture.credentials(role: ControlPlaneRouteTests.workload)
        try writer.writeRole(
            RoleDocument(
                arn: ControlPlaneRouteTests.workload,
                trustPolicy: RoleDocument.policy([RoleDocument.rolesAnywhereStatement()]),
                inlinePolicies: [.init(name: "all", document: everything)],
                createDate: UTCTimestamp.iso8601(now + 60)))
        try fixture.service.configurations.reload()
        let (response, body) = fixture.iam(workload, [("Action", "ListRoles")])
        #expect(response.status == 403, "\(body)")
        #expect(try fixture.auditLine(response)["reason"]?.stringValue == "role_not_found")
    }
}
