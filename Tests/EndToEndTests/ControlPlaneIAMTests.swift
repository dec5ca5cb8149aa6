import AnchorageTestSupport
import Foundation
import Testing

/// The IAM role operations of the control plane against a real `anchorage serve` over TLS, with the unchanged AWS
/// CLI (`aws iam --endpoint-url`) and boto3, signed with credentials Anchorage issued: the role lifecycle on the
/// files, a role made by the API serving CreateSession without a restart, the refusals, and the audit log.
@Suite("Control plane: IAM roles end to end")
struct ControlPlaneIAMTests {
    static let foreignRole = "arn:aws:iam::210987654321:role/foreign"

    /// `web-reader` (leaf-ec-p256's role in the `web` profile) becomes an admin: `iam:*` on everything, but an
    /// explicit Deny on changing itself. `not-in-profile` joins `web` as a workload role with no identity policy,
    /// and a role of another account exists.
    static func start() async throws -> SharedServer.Context {
        let configuration = try await TestConfiguration.write(pki: try FixturePKI.shared())
        try configuration.editJSON("Profiles/roles/web-reader.json") {
            $0["RolePolicyList"] = [
                [
                    "PolicyName": "iam-admin",
                    "PolicyDocument": [
                        "Version": "2012-10-17",
                        "Statement": [
                            ["Sid": "Admin", "Effect": "Allow", "Action": "iam:*", "Resource": "*"],
                            [
                                "Sid": "NotMyself", "Effect": "Deny", "Action": ["iam:DeleteRole", "iam:Put*"],
                                "Resource": ARNs.webReader,
                            ],
                        ],
                    ],
                ]
            ]
        }
        for arguments in [
            ["profile", "add-role", "web", "not-in-profile"],
            ["role", "create", "foreign", "--account-id", "210987654321"],
        ] {
            let result = try await anchorageCommand(arguments, configuration: configuration)
            try #require(result.status == 0, "\(result.summary)")
        }
        return try await OwnServer.start(configuration: configuration)
    }

    /// `aws iam <arguments> --endpoint-url … --output json` with `credentials` and nothing else of the environment's AWS settings.
    static func aws(_ arguments: [String], _ credentials: SessionCredentials, _ context: SharedServer.Context)
        async throws -> ProcessResult
    {
        try await runProcess(
            "/usr/bin/env",
            ["aws", "iam"] + arguments + ["--endpoint-url", STSClients.endpointURL(context), "--output", "json"],
            environment: STSClients.awsEnvironment(credentials, context, region: "us-east-1"), timeout: 60)
    }

    static func boto3(
        _ operation: String, _ parameters: [String: Any], _ credentials: SessionCredentials,
        _ context: SharedServer.Context
    ) async throws -> JSONValue {
        let script = try Clients.scriptsDirectory().appendingPathComponent("iam_client.py").path
        let params = String(decoding: try JSONSerialization.data(withJSONObject: parameters), as: UTF8.self)
        let result = try await runProcess(
            "/usr/bin/env",
            [
                "python3", script, "--endpoint", STSClients.endpointURL(context), "--access-key-id",
                credentials.accessKeyId, "--secret-access-key", credentials.secretAccessKey, "--session-token",
                credentials.sessionToken, "--operation", operation, "--params", params,
            ], environment: Clients.environment(caBundle: context.pki.caBundle), timeout: 60)
        guard result.status == 0, let line = result.stdout.split(separator: "\n").last else {
            throw TestFailure("iam_client.py failed: \(result.summary)")
        }
        return try JSONValue.parse(String(line))
    }

    static let trustPolicy = """
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
          "Principal": {"Service": "rolesanywhere.amazonaws.com"},
          "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
          "Condition": {"StringEquals": {"aws:PrincipalTag/x509Subject/OU": "web"}}}]}
        """

    @Test(
        "aws iam: the role lifecycle on the files; a role it creates serves CreateSession within 2 s; refusals; audit")
    func lifecycle() async throws {
        let context = try await Self.start()
        let server = context.server
        let admin = try await STSClients.credentials(context)

        // Create, read back (botocore decodes the URL-encoded policy), list.
        var r = try await Self.aws(
            [
                "create-role", "--role-name", "api-made", "--path", "/made/", "--assume-role-policy-document",
                Self.trustPolicy, "--description", "made by aws iam", "--tags", "Key=team,Value=pki",
            ], admin, context)
        try #require(r.status == 0, "\(r.summary)")
        let roleArn = "arn:aws:iam::123456789012:role/made/api-made"
        #expect(try JSONValue.parse(r.stdout)["Role"]?["Arn"]?.string == roleArn)
        r = try await Self.aws(["get-role", "--role-name", "api-made"], admin, context)
        #expect(r.status == 0, "\(r.summary)")
        let role = try JSONValue.parse(r.stdout)["Role"]
        #expect(role?["Path"]?.string == "/made/")
        #expect(role?["RoleId"]?.string?.hasPrefix("AROA") == true)
        #expect(role?["MaxSessionDuration"]?.number == 3600)
        #expect(
            role?["AssumeRolePolicyDocument"]?["Statement"]?.array?.first?["Effect"]?.string == "Allow", "\(r.stdout)")
        #expect(role?["Tags"]?.array?.first?["Key"]?.string == "team")
        r = try await Self.aws(["list-roles", "--path-prefix", "/made/"], admin, context)
        #expect(try JSONValue.parse(r.stdout)["Roles"]?.array?.compactMap { $0["RoleName"]?.string } == ["api-made"])

        // Update, inline policies, tags: each a file write the loader reads.
        for arguments in [
            ["update-role", "--role-name", "api-made", "--max-session-duration", "7200", "--description", "updated"],
            [
                "put-role-policy", "--role-name", "api-made", "--policy-name", "read-anchors", "--policy-document",
                #"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "rolesanywhere:Get*", "Resource": "*"}}"#,
            ],
            ["tag-role", "--role-name", "api-made", "--tags", "Key=env,Value=test"],
            ["untag-role", "--role-name", "api-made", "--tag-keys", "team"],
        ] {
            r = try await Self.aws(arguments, admin, context)
            #expect(r.status == 0, "\(arguments[0]): \(r.summary)")
        }
        r = try await Self.aws(
            ["get-role-policy", "--role-name", "api-made", "--policy-name", "read-anchors"], admin, context)
        #expect(
            try JSONValue.parse(r.stdout)["PolicyDocument"]?["Statement"]?["Action"]?.string == "rolesanywhere:Get*",
            "\(r.stdout)")
        r = try await Self.aws(["list-role-policies", "--role-name", "api-made"], admin, context)
        #expect(try JSONValue.parse(r.stdout)["PolicyNames"]?.array?.compactMap(\.string) == ["read-anchors"])
        r = try await Self.aws(["list-role-tags", "--role-name", "api-made"], admin, context)
        #expect(try JSONValue.parse(r.stdout)["Tags"]?.array?.compactMap { $0["Key"]?.string } == ["env"])
        let file = try String(
            contentsOf: context.configuration.profiles.appendingPathComponent("roles/api-made.json"), encoding: .utf8)
        let stored = try JSONValue.parse(file)
        #expect(stored["MaxSessionDuration"]?.number == 7200)
        #expect(stored["RolePolicyList"]?.array?.first?["PolicyName"]?.string == "read-anchors")
        #expect(stored["CreateDate"]?.string != nil)
        let validate = try await anchorageCommand(["validate"], configuration: context.configuration)
        #expect(validate.status == 0, "\(validate.summary)")

        // The new role serves CreateSession, without a restart, through a profile made with the CLI.
        let profile = try await anchorageCommand(
            ["profile", "create", "api-made", "--role", roleArn], configuration: context.configuration)
        try #require(profile.status == 0, "\(profile.summary)")
        let profileArn = profile.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let created = Date()
        let session = try await poll(for: 2) { () -> JSONValue? in
            let out = try await Clients.pythonSession(
                leaf: "leaf-ec-p256", profileArn: profileArn, roleArn: roleArn, context)
            return out["ok"]?.bool == true ? out : nil
        }
        #expect(session != nil, "no credentials for \(roleArn) within 2 s of the profile")
        #expect(Date().timeIntervalSince(created) < 4)

        // A profile lists it now: DeleteRole is a conflict, and the file stays.
        r = try await Self.aws(
            ["delete-role-policy", "--role-name", "api-made", "--policy-name", "read-anchors"], admin, context)
        #expect(r.status == 0, "\(r.summary)")
        r = try await Self.aws(["delete-role", "--role-name", "api-made"], admin, context)
        #expect(r.status != 0 && r.stderr.contains("DeleteConflict"), "\(r.summary)")

        // Refusals, with boto3 so that each answer's request id finds its audit line.
        let workload = try await STSClients.credentials(
            leaf: "leaf-ec-p256", roleArn: ARNs.notInProfile, context)
        var out = try await Self.boto3("list_roles", [:], workload, context)
        #expect(out["code"]?.string == "AccessDenied" && out["status"]?.number == 403, "\(out)")
        var line = try #require(try server.auditEntry(requestId: out["RequestId"]?.string ?? "-"))
        #expect(line["reason"]?.string == "no_allowing_policy")
        #expect(line["outcome"]?.string == "denied")
        #expect(line["principal"]?.string?.hasPrefix("arn:aws:sts::123456789012:assumed-role/not-in-profile/") == true)

        out = try await Self.boto3("delete_role", ["RoleName": "web-reader"], admin, context)
        #expect(out["code"]?.string == "AccessDenied", "\(out)")
        line = try #require(try server.auditEntry(requestId: out["RequestId"]?.string ?? "-"))
        #expect(line["reason"]?.string == "explicit_deny")
        #expect(line["resource"]?.string == ARNs.webReader)

        // Role names are per account: another account's role is no role of the caller's, and its ARN is not shown.
        out = try await Self.boto3("get_role", ["RoleName": "foreign"], admin, context)
        #expect(out["code"]?.string == "NoSuchEntity", "\(out)")
        #expect(out["message"]?.string?.contains(Self.foreignRole) == false, "\(out)")
        line = try #require(try server.auditEntry(requestId: out["RequestId"]?.string ?? "-"))
        #expect(line["reason"]?.string == "no_such_entity")
        #expect(line["detail"]?.string == "the role named foreign is \(Self.foreignRole)")

        out = try await Self.boto3(
            "create_role", ["RoleName": "bad name", "AssumeRolePolicyDocument": Self.trustPolicy], admin, context)
        #expect(out["code"]?.string == "ValidationError", "\(out)")
        #expect(out["message"]?.string?.contains("roleName") == true, "\(out)")
        out = try await Self.boto3(
            "put_role_policy",
            [
                "RoleName": "api-made", "PolicyName": "p",
                "PolicyDocument": #"{"Statement": {"Effect": "Allow", "Action": "iam:*"}}"#,
            ],
            admin, context)
        #expect(out["code"]?.string == "MalformedPolicyDocument", "\(out)")
        #expect(out["message"]?.string?.contains("Resource") == true, "\(out)")

        // Every call above has its audit line: allowed or not, with principal, action and resource.
        let iamLines = try server.auditEntries().filter { $0["api"]?.string == "iam" }
        // 12 AWS CLI calls and 5 boto3 calls, none retried.
        #expect(iamLines.count == 17, "\(iamLines.count) IAM audit lines")
        #expect(
            iamLines.allSatisfy { $0["action"]?.string?.hasPrefix("iam:") == true && $0["principal"]?.string != nil })
        #expect(
            iamLines.contains {
                $0["action"]?.string == "iam:CreateRole" && $0["resource"]?.string == roleArn
                    && $0["outcome"]?.string == "allowed"
            })
        let text = try server.auditLogText()
        #expect(!text.contains(admin.secretAccessKey) && !text.contains(admin.sessionToken))
        #expect(await server.stop() == 0)
    }
}
