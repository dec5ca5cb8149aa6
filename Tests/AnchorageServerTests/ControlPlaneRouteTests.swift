import AnchorageConfig
import AnchorageControlPlane
import AnchorageCore
import AnchorageCrypto
import AnchorageHTTP
import AnchorageLocking
import AnchorageServer
import Foundation
import Testing

/// The control plane's HTTP glue, socket-free: SigV4 with session credentials for `iam` and `rolesanywhere`, the
/// identity-policy decision, IAM's role operations on the files, error shapes, and one audit line per call.
@Suite struct ControlPlaneRouteTests {
    static let account = "123456789012"
    static let admin = "arn:aws:iam::123456789012:role/pki-admin"
    static let workload = "arn:aws:iam::123456789012:role/workload"
    static let foreign = "arn:aws:iam::210987654321:role/foreign"

    /// A recording `RolesAnywhereRouting`: answers `GET /trustanchors` after asking the authorizer.
    struct Routing: RolesAnywhereRouting {
        func handle(
            method: String, path: String, rawQuery: String?, body: [UInt8], caller: ControlPlaneCaller,
            authorizer: any ControlPlaneAuthorizing
        ) -> ControlPlaneResponse? {
            guard method == "GET", path == "/trustanchors" else { return nil }
            let action = "rolesanywhere:ListTrustAnchors"
            if case .denied(let reason) = authorizer.authorize(
                caller, AuthorizationRequest(action: action, resources: ["*"]))
            {
                return ControlPlaneResponse(
                    status: 403, headers: [("X-Amzn-ErrorType", "AccessDeniedException")],
                    body: Array(#"{"message":"denied"}"#.utf8),
                    audit: ControlPlaneAuditFacts(action: action, resource: "*", outcome: "denied", reason: reason))
            }
            return ControlPlaneResponse(
                status: 200, headers: [("Content-Type", "application/json")],
                body: Array(#"{"trustAnchors":[],"caller":"\#(caller.account)/\#(caller.region)"}"#.utf8),
                audit: ControlPlaneAuditFacts(action: action, resource: "*", outcome: "allowed"))
        }
    }

    final class Fixture: Sendable {
        let root = NSTemporaryDirectory() + "anchorage-control-plane-\(UUID().uuidString)"
        let service: AnchorageService
        let keyring = TokenKeyring.generate(id: "k-cp", random: SystemRandomSource())
        var auditPath: String { root + "/state/audit.jsonl" }
        var rolesDirectory: String { root + "/Profiles/roles" }

        static let adminPolicy = #"""
            {"Version": "2012-10-17", "Statement": [
              {"Effect": "Allow", "Action": ["iam:*", "rolesanywhere:*"], "Resource": "*"},
              {"Sid": "KeepAdmin", "Effect": "Deny", "Action": "iam:DeleteRole", "Resource": "arn:aws:iam::123456789012:role/pki-admin"}
            ]}
            """#

        init(
            rolesAnywhere: (any RolesAnywhereRouting)? = Routing(), revokingSessionsOf revokedRole: String? = nil,
            auditPath: String? = nil
        ) throws {
            for directory in ["/PKI", "/Profiles/roles", "/state"] {
                try FileManager.default.createDirectory(atPath: root + directory, withIntermediateDirectories: true)
            }
            let writer = ConfigurationWriter(
                pkiDirectory: root + "/PKI", profilesDirectory: root + "/Profiles", synced: false)
            let trust = RoleDocument.policy([RoleDocument.rolesAnywhereStatement()])
            try writer.writeRole(
                RoleDocument(
                    arn: ControlPlaneRouteTests.admin, trustPolicy: trust,
                    inlinePolicies: [.init(name: "admin", document: try JSONParser.parse(Self.adminPolicy))]))
            try writer.writeRole(RoleDocument(arn: ControlPlaneRouteTests.workload, trustPolicy: trust))
            try writer.writeRole(RoleDocument(arn: ControlPlaneRouteTests.foreign, trustPolicy: trust))
            // The profile the sessions below come from (its session policy limits them; none here).
            try writer.writeProfile(
                ProfileDocument(
                    name: "y", arn: "arn:aws:rolesanywhere:us-east-1:123456789012:profile/y",
                    roleArns: [ControlPlaneRouteTests.admin, ControlPlaneRouteTests.workload]))
            if let revokedRole {
                let now = SystemClock().seconds
                try writer.writeRevocations(
                    RevocationList([
                        Revocation(id: "r1", selector: .role(revokedRole, issuedBefore: now + 3600), revokedAt: now)
                    ]))
            }
            let store = try ConfigurationStore(
                loader: ConfigurationLoader(pkiDirectory: root + "/PKI", profilesDirectory: root + "/Profiles"))
            service = AnchorageService(
                configurations: store, createSession: CreateSessionService(keyring: keyring),
                auditLog: try AuditLog(path: auditPath ?? root + "/state/audit.jsonl"), rolesAnywhere: rolesAnywhere)
        }

        struct Credentials {
            var accessKeyId: String
            var secret: String
            var token: String
        }

        func credentials(role: String, tags: [PrincipalTag] = []) -> Credentials {
            let now = SystemClock().seconds
            let id = "ASIACP" + String(UUID().uuidString.prefix(14)).replacingOccurrences(of: "-", with: "X")
            let claims = SessionClaims(
                accessKeyId: id, secretAccessKey: "cpSecret-" + UUID().uuidString, roleArn: role,
                roleSessionName: "admin-session", sourceIdentity: "CN=admin", principalTags: tags,
                trustAnchorArn: "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/x",
                profileArn: "arn:aws:rolesanywhere:us-east-1:123456789012:profile/y", certificateSerialHex: "0A",
                certificateSHA256: String(repeating: "1", count: 64), issuedAt: now, expiresAt: now + 900,
                sourceAddress: "127.0.0.1")
            return Credentials(
                accessKeyId: id, secret: claims.secretAccessKey,
                token: SessionToken.seal(claims, keyring: keyring, random: SystemRandomSource()))
        }

        /// A request signed as botocore signs it, for `service`.
        func signed(
            _ credentials: Credentials, method: String = "POST", path: String = "/", query: String? = nil,
            body: String = "", service: String = "iam", region: String = "us-east-1"
        ) -> HTTPRequest {
            let amzDate = AmzDate(secondsSinceEpoch: SystemClock().seconds)!.string
            var fields: [(name: String, value: String)] = [
                ("Host", "127.0.0.1:8443"), ("X-Amz-Date", amzDate), ("X-Amz-Security-Token", credentials.token),
            ]
            if !body.isEmpty {
                fields.append(("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"))
            }
            let signedHeaders = fields.map { $0.name.lowercased() }.sorted()
            let scope = CredentialScope(date: String(amzDate.prefix(8)), region: region, service: service)
            fields.append(
                (
                    "Authorization",
                    HMACSigner.authorization(
                        method: method, path: path, query: query, headers: fields, signedHeaders: signedHeaders,
                        body: Array(body.utf8), accessKeyId: credentials.accessKeyId, secret: credentials.secret,
                        amzDate: amzDate, scope: scope)
                ))
            return HTTPRequest(
                method: method, target: path + (query.map { "?" + $0 } ?? ""), headers: HTTPHeaders(fields),
                body: Array(body.utf8), remoteAddress: "127.0.0.1")
        }

        func iam(_ credentials: Credentials, _ parameters: [(String, String)]) -> (HTTPResponse, String) {
            let body = ([("Version", "2010-05-08")] + parameters).map {
                "\($0.0)=\(QueryParameters.percentEncode($0.1))"
            }.joined(separator: "&")
            let response = service.handle(signed(credentials, body: body))
            return (response, String(decoding: response.body, as: UTF8.self))
        }

        /// IAM TagRole of one tag (`key`, `value`) on the role `name`, as `credentials`.
        func tagRole(_ credentials: Credentials, _ name: String, _ key: String, _ value: String) -> (
            HTTPResponse, String
        ) {
            iam(
                credentials,
                [("Action", "TagRole"), ("RoleName", name), ("Tags.member.1.Key", key), ("Tags.member.1.Value", value)])
        }

        func auditLine(_ response: HTTPResponse) throws -> JSONValue {
            _ = service.commit(upTo: service.auditLog.recordCount)
            let requestId = response.headers["x-amzn-RequestId"]
            let text = try String(contentsOfFile: auditPath, encoding: .utf8)
            let line = try text.split(separator: "\n").map { try JSONParser.parse(String($0)) }
                .first { $0["requestId"]?.stringValue == requestId }
            return try #require(line, "no audit line for \(requestId ?? "nil")")
        }

        func loads() throws -> Configuration {
            try ConfigurationLoader(pkiDirectory: root + "/PKI", profilesDirectory: root + "/Profiles").load(
                generation: 2)
        }
    }

    static let trustText =
        #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"rolesanywhere.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}]}"#

    @Test func roleLifecycleThroughIAMWritesFilesTheLoaderReads() throws {
        let fixture = try Fixture()
        let admin = fixture.credentials(role: Self.admin)
        var (response, body) = fixture.iam(
            admin,
            [
                ("Action", "CreateRole"), ("RoleName", "reader"), ("Path", "/team/"),
                ("AssumeRolePolicyDocument", Self.trustText), ("Description", "reads & writes"),
                ("Tags.member.1.Key", "env"), ("Tags.member.1.Value", "dev"),
            ])
        #expect(response.status == 200, "\(body)")
        #expect(body.contains("<CreateRoleResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"))
        #expect(body.contains("<Arn>arn:aws:iam::123456789012:role/team/reader</Arn>"))
        #expect(body.contains("<Path>/team/</Path>"))
        #expect(body.contains("<Description>reads &amp; writes</Description>"))
        #expect(body.contains("<AssumeRolePolicyDocument>%7B%22Version%22%3A%222012-10-17%22"))
        var line = try fixture.auditLine(response)
        #expect(line["operation"]?.stringValue == "CreateRole")
        #expect(line["action"]?.stringValue == "iam:CreateRole")
        #expect(line["resource"]?.stringValue == "arn:aws:iam::123456789012:role/team/reader")
        #expect(line["principal"]?.stringValue == "arn:aws:sts::123456789012:assumed-role/pki-admin/admin-session")
        #expect(line["outcome"]?.stringValue == "allowed")
        #expect(try fixture.loads().roles["arn:aws:iam::123456789012:role/team/reader"] != nil)

        (response, body) = fixture.iam(
            admin, [("Action", "CreateRole"), ("RoleName", "reader"), ("AssumeRolePolicyDocument", Self.trustText)])
        #expect(response.status == 409)
        #expect(body.contains("<Code>EntityAlreadyExists</Code>"))

        (response, body) = fixture.iam(
            admin,
            [
                ("Action", "PutRolePolicy"), ("RoleName", "reader"), ("PolicyName", "read"),
                ("PolicyDocument", #"{"Statement":{"Effect":"Allow","Action":"rolesanywhere:Get*","Resource":"*"}}"#),
            ])
        #expect(response.status == 200, "\(body)")
        (response, body) = fixture.iam(
            admin, [("Action", "GetRolePolicy"), ("RoleName", "reader"), ("PolicyName", "read")])
        #expect(body.contains("<PolicyDocument>%7B%22Statement%22"), "\(body)")
        (response, body) = fixture.iam(admin, [("Action", "ListRolePolicies"), ("RoleName", "reader")])
        #expect(body.contains("<member>read</member>"), "\(body)")
        #expect(try fixture.loads().roles["arn:aws:iam::123456789012:role/team/reader"]?.identityPolicies.count == 1)

        (response, body) = fixture.iam(
            admin, [("Action", "UpdateRole"), ("RoleName", "reader"), ("MaxSessionDuration", "7200")])
        #expect(response.status == 200, "\(body)")
        #expect(try fixture.loads().roles["arn:aws:iam::123456789012:role/team/reader"]?.maxSessionDuration == 7200)

        (response, body) = fixture.tagRole(admin, "reader", "team", "pki")
        #expect(response.status == 200)
        (response, body) = fixture.iam(
            admin, [("Action", "UntagRole"), ("RoleName", "reader"), ("TagKeys.member.1", "env")])
        #expect(response.status == 200)
        (response, body) = fixture.iam(admin, [("Action", "ListRoleTags"), ("RoleName", "reader")])
        #expect(body.contains("<Key>team</Key>") && !body.contains("<Key>env</Key>"), "\(body)")

        // IAM refuses to delete a role that still has inline policies.
        (response, body) = fixture.iam(admin, [("Action", "DeleteRole"), ("RoleName", "reader")])
        #expect(response.status == 409)
        #expect(body.contains("<Code>DeleteConflict</Code>"))
        (response, _) = fixture.iam(
            admin, [("Action", "DeleteRolePolicy"), ("RoleName", "reader"), ("PolicyName", "read")])
        #expect(response.status == 200)
        (response, _) = fixture.iam(admin, [("Action", "DeleteRole"), ("RoleName", "reader")])
        #expect(response.status == 200)
        (response, body) = fixture.iam(admin, [("Action", "GetRole"), ("RoleName", "reader")])
        #expect(response.status == 404)
        #expect(body.contains("<Code>NoSuchEntity</Code>"))
        line = try fixture.auditLine(response)
        #expect(line["outcome"]?.stringValue == "error")
        #expect(line["reason"]?.stringValue == "no_such_entity")
    }

    @Test func concurrentWritesToOneRoleLoseNoUpdate() throws {
        let fixture = try Fixture()
        let admin = fixture.credentials(role: Self.admin)
        let statuses = Locked<[Int]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            let (response, _) = fixture.iam(
                admin,
                [
                    ("Action", "PutRolePolicy"), ("RoleName", "workload"), ("PolicyName", "p\(index)"),
                    ("PolicyDocument", #"{"Statement":{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}}"#),
                ])
            statuses.withLock { $0.append(response.status) }
        }
        #expect(statuses.withLock { $0 } == Array(repeating: 200, count: 8))
        let role = try #require(try fixture.loads().roles[Self.workload])
        #expect(Set(role.identityPolicies.map(\.name)) == Set((0..<8).map { "p\($0)" }))
    }

    @Test func resourceTagsAndRequestTagsReachTheConditions() throws {
        let fixture = try Fixture()
        let admin = fixture.credentials(role: Self.admin)
        let policy = #"""
            {"Statement": [
              {"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*",
               "Condition": {"StringEquals": {"aws:ResourceTag/team": "pki"}}},
              {"Effect": "Allow", "Action": "iam:TagRole", "Resource": "*",
               "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]},
                             "StringEquals": {"aws:RequestTag/team": "pki"}}}
            ]}
            """#
        var (response, body) = fixture.iam(
            admin,
            [("Action", "PutRolePolicy"), ("RoleName", "workload"), ("PolicyName", "tags"), ("PolicyDocument", policy)])
        #expect(response.status == 200, "\(body)")
        try fixture.service.configurations.reload()
        let workload = fixture.credentials(role: Self.workload)
        (response, _) = fixture.iam(workload, [("Action", "GetRole"), ("RoleName", "pki-admin")])
        #expect(response.status == 403)
        (response, _) = fixture.tagRole(workload, "pki-admin", "team", "ops")
        #expect(response.status == 403)
        (response, _) = fixture.tagRole(workload, "pki-admin", "owner", "pki")
        #expect(response.status == 403)
        (response, body) = fixture.tagRole(workload, "pki-admin", "team", "pki")
        #expect(response.status == 200, "\(body)")
        (response, body) = fixture.iam(workload, [("Action", "GetRole"), ("RoleName", "pki-admin")])
        #expect(response.status == 200, "\(body)")
    }

    @Test func listRolesPagesOnlyTheCallersAccount() throws {
        let fixture = try Fixture()
        let admin = fixture.credentials(role: Self.admin)
        for index in 0..<5 {
            let (response, _) = fixture.iam(
                admin,
                [("Action", "CreateRole"), ("RoleName", "r\(index)"), ("AssumeRolePolicyDocument", Self.trustText)])
            #expect(response.status == 200)
        }
        var names: [String] = []
        var marker: String?
        var pages = 0
        repeat {
            var parameters = [("Action", "ListRoles"), ("MaxItems", "3")]
            if let marker { parameters.append(("Marker", marker)) }
            let (response, body) = fixture.iam(admin, parameters)
            #expect(response.status == 200, "\(body)")
            names += body.components(separatedBy: "<RoleName>").dropFirst().map { String($0.prefix { $0 != "<" }) }
            marker = body.components(separatedBy: "<Marker>").dropFirst().first.map { String($0.prefix { $0 != "<" }) }
            #expect(body.contains("<IsTruncated>\(marker == nil ? "false" : "true")</IsTruncated>"))
            pages += 1
        } while marker != nil && pages < 10
        #expect(names == ["pki-admin", "r0", "r1", "r2", "r3", "r4", "workload"])
        #expect(pages == 3)
    }

    @Test func refusalsAreAccessDeniedAndTheReasonIsAuditedOnly() throws {
        let fixture = try Fixture()
        // A workload role with no identity policy.
        var (response, body) = fixture.iam(fixture.credentials(role: Self.workload), [("Action", "ListRoles")])
        #expect(response.status == 403)
        #expect(body.contains("<Code>AccessDenied</Code>") && body.contains("<Type>Sender</Type>"))
        #expect(!body.contains("no_allowing_policy"))
        var line = try fixture.auditLine(response)
        #expect(line["outcome"]?.stringValue == "denied")
        #expect(line["reason"]?.stringValue == "no_allowing_policy")

        // The explicit Deny wins over the admin's Allow.
        (response, body) = fixture.iam(
            fixture.credentials(role: Self.admin), [("Action", "DeleteRole"), ("RoleName", "pki-admin")])
        #expect(response.status == 403)
        line = try fixture.auditLine(response)
        #expect(line["reason"]?.stringValue == "explicit_deny")
        #expect(line["detail"]?.stringValue == #"explicit deny by policy "admin" Statement[1] "KeepAdmin""#)
        #expect(!body.contains("KeepAdmin"))
        #expect(FileManager.default.fileExists(atPath: fixture.rolesDirectory + "/pki-admin.json"))

        // Another account's role is no role of the caller's account (names are per account); the audit log says
        // whose it is.
        (response, body) = fixture.iam(
            fixture.credentials(role: Self.admin), [("Action", "GetRole"), ("RoleName", "foreign")])
        #expect(response.status == 404)
        line = try fixture.auditLine(response)
        #expect(line["reason"]?.stringValue == "no_such_entity")
        #expect(line["detail"]?.stringValue == "the role named foreign is \(Self.foreign)")
        // An ARN of another account is refused before any policy.
        let authorizer = IdentityPolicyAuthorizer(configuration: fixture.service.configurations.current, now: 0)
        let claims = try SessionToken.open(fixture.credentials(role: Self.admin).token, keyring: fixture.keyring)
        let caller = ControlPlaneCaller(claims: claims, account: Self.account, region: "us-east-1", sourceAddress: nil)
        #expect(
            authorizer.authorize(caller, AuthorizationRequest(action: "iam:GetRole", resources: [Self.foreign]))
                == .denied(reason: "cross_account"))

        // A role that no longer exists authorizes nothing.
        (response, _) = fixture.iam(
            fixture.credentials(role: "arn:aws:iam::123456789012:role/deleted"), [("Action", "ListRoles")])
        #expect(response.status == 403)
        #expect(try fixture.auditLine(response)["reason"]?.stringValue == "role_not_found")
    }

    @Test func malformedInputNamesTheField() throws {
        let fixture = try Fixture()
        let admin = fixture.credentials(role: Self.admin)
        var (response, body) = fixture.iam(
            admin, [("Action", "CreateRole"), ("RoleName", "bad name"), ("AssumeRolePolicyDocument", Self.trustText)])
        #expect(response.status == 400)
        #expect(body.contains("<Code>ValidationError</Code>") && body.contains("at &apos;roleName&apos;"), "\(body)")
        (response, body) = fixture.iam(
            admin,
            [
                ("Action", "CreateRole"), ("RoleName", "x"),
                ("AssumeRolePolicyDocument", #"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}"#),
            ])
        #expect(response.status == 400)
        #expect(body.contains("<Code>MalformedPolicyDocument</Code>") && body.contains("Principal"), "\(body)")
        (response, body) = fixture.iam(
            admin,
            [
                ("Action", "PutRolePolicy"), ("RoleName", "workload"), ("PolicyName", "p"),
                (
                    "PolicyDocument",
                    #"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"iam:*","Resource":"*"}]}"#
                ),
            ])
        #expect(
            body.contains("<Code>MalformedPolicyDocument</Code>") && body.contains("$.Statement[0].Principal"),
            "\(body)")
        (response, body) = fixture.iam(
            admin, [("Action", "UpdateRole"), ("RoleName", "workload"), ("MaxSessionDuration", "60")])
        #expect(
            body.contains("<Code>ValidationError</Code>") && body.contains("at &apos;maxSessionDuration&apos;"),
            "\(body)")
        (response, body) = fixture.iam(admin, [("Action", "AttachRolePolicy"), ("RoleName", "workload")])
        #expect(response.status == 400)
        #expect(body.contains("<Code>InvalidAction</Code>"))
        #expect(try fixture.auditLine(response)["reason"]?.stringValue == "invalid_action")
        (response, body) = fixture.iam(
            admin, [("Action", "CreateRole"), ("RoleName", ".hidden"), ("AssumeRolePolicyDocument", Self.trustText)])
        #expect(body.contains("<Code>ValidationError</Code>"), "\(body)")
        // Role names are unique ignoring case, as in IAM.
        (response, body) = fixture.iam(
            admin, [("Action", "CreateRole"), ("RoleName", "PKI-Admin"), ("AssumeRolePolicyDocument", Self.trustText)])
        #expect(response.status == 409)
        #expect(body.contains("<Code>EntityAlreadyExists</Code>"), "\(body)")
        // Nothing of the above changed a file.
        #expect(try fixture.loads().roles.count == 3)
    }

    @Test func rolesAnywherePathsAuthenticateAndReachTheRoutingHook() throws {
        let fixture = try Fixture()
        let admin = fixture.credentials(role: Self.admin)
        var response = fixture.service.handle(
            fixture.signed(admin, method: "GET", path: "/trustanchors", service: "rolesanywhere", region: "eu-west-1"))
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self).contains(#""caller":"123456789012/eu-west-1""#))
        #expect(try fixture.auditLine(response)["action"]?.stringValue == "rolesanywhere:ListTrustAnchors")

        response = fixture.service.handle(
            fixture.signed(
                fixture.credentials(role: Self.workload), method: "GET", path: "/trustanchors", service: "rolesanywhere"
            ))
        #expect(response.status == 403)
        #expect(try fixture.auditLine(response)["reason"]?.stringValue == "no_allowing_policy")

        // A path the API does not serve, signed: 404 in the rest-json shape, audited.
        response = fixture.service.handle(
            fixture.signed(admin, method: "GET", path: "/subjects/nowhere", service: "rolesanywhere"))
        #expect(response.status == 404)
        #expect(response.headers["X-Amzn-ErrorType"] == "UnknownOperationException")
        #expect(try fixture.auditLine(response)["reason"]?.stringValue == "unknown_operation")

        // Unsigned, and signed for the wrong service.
        response = fixture.service.handle(
            HTTPRequest(method: "GET", target: "/trustanchors", remoteAddress: "127.0.0.1"))
        #expect(response.status == 403)
        #expect(response.headers["X-Amzn-ErrorType"] == "MissingAuthenticationTokenException")
        #expect(String(decoding: response.body, as: UTF8.self).hasPrefix(#"{"message":"#))
        #expect(try fixture.auditLine(response)["reason"]?.stringValue == "missing_authentication")
        response = fixture.service.handle(fixture.signed(admin, method: "GET", path: "/trustanchors", service: "sts"))
        #expect(response.headers["X-Amzn-ErrorType"] == "InvalidSignatureException")
        #expect(try fixture.auditLine(response)["reason"]?.stringValue == "credential_scope_mismatch")

        // A wrong secret on IAM: IAM's XML error.
        var forged = admin
        forged.secret = "not-the-secret"
        let (iamResponse, body) = fixture.iam(forged, [("Action", "ListRoles")])
        #expect(iamResponse.status == 403)
        #expect(body.contains("<Code>SignatureDoesNotMatch</Code>"))
        #expect(try fixture.auditLine(iamResponse)["reason"]?.stringValue == "signature_mismatch")
        // No secret in the audit log.
        let text = try String(contentsOfFile: fixture.auditPath, encoding: .utf8)
        #expect(!text.contains(admin.secret) && !text.contains(admin.token))
    }

    @Test func revokedSessionsAreRefusedAsBySTS() throws {
        let fixture = try Fixture(revokingSessionsOf: Self.admin)
        let admin = fixture.credentials(role: Self.admin)
        let response = fixture.service.handle(
            fixture.signed(admin, method: "GET", path: "/trustanchors", service: "rolesanywhere"))
        #expect(response.status == 403)
        #expect(response.headers["X-Amzn-ErrorType"] == "UnrecognizedClientException")
        #expect(try fixture.auditLine(response)["reason"]?.stringValue == "revoked")
        let (iamResponse, body) = fixture.iam(admin, [("Action", "ListRoles")])
        #expect(iamResponse.status == 403)
        #expect(body.contains("<Code>InvalidClientTokenId</Code>"), "\(body)")
        let line = try fixture.auditLine(iamResponse)
        #expect(line["reason"]?.stringValue == "revoked")
        #expect(line["action"]?.stringValue == "iam:ListRoles")
    }

    @Test func withoutTheRolesAnywhereAPIItsPathsAre404AndSTSStaysSTS() throws {
        let fixture = try Fixture(rolesAnywhere: nil)
        let admin = fixture.credentials(role: Self.admin)
        var response = fixture.service.handle(
            fixture.signed(admin, method: "GET", path: "/trustanchors", service: "rolesanywhere"))
        #expect(response.status == 404)
        response = fixture.service.handle(
            fixture.signed(admin, body: "Action=GetCallerIdentity&Version=2011-06-15", service: "sts"))
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self).contains("<GetCallerIdentityResult>"))
        #expect(try fixture.auditLine(response)["operation"]?.stringValue == "GetCallerIdentity")
    }
}
