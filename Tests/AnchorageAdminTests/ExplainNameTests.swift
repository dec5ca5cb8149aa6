import AnchorageLocking
import AnchorageTestSupport
import Foundation
import Testing

@testable import AnchorageAdmin

/// `anchorage explain` takes the trust anchor, profile and role by name or by ARN, as the other admin
/// commands do; a name is looked up the way they look it up.
@Suite("explain: names as well as ARNs")
struct ExplainNameTests {
    struct Lab {
        let admin: AdminHarness
        let anchorARN: String
        let profileARN: String
        let roleARN: String
        /// One instant for every explain of a test, inside the certificate's validity: same input, same output.
        let at = ISO8601DateFormatter().string(from: Date().addingTimeInterval(60))
    }

    func lab() throws -> Lab {
        let admin = try AdminHarness()
        let anchorARN = try admin.makeLabAnchor()
        let issued = admin.run(
            "pki",
            [
                "issue", "--ca-certificate", admin.keys + "/ca.pem", "--ca-private-key", admin.keys + "/ca.key",
                "--subject", "/O=Lab/OU=web/CN=web-1", "--certificate", admin.keys + "/web-1.pem",
                "--private-key", admin.keys + "/web-1.key",
            ])
        guard issued.status == 0 else { throw TestFailure("issue: \(issued.stderr)") }
        let role = admin.run(
            "role",
            [
                "create", "web-reader", "--trust-anchor", "lab", "--condition",
                "StringEquals:aws:PrincipalTag/x509Subject/OU=web",
            ])
        guard role.status == 0 else { throw TestFailure("role create: \(role.stderr)") }
        let profile = admin.run("profile", ["create", "web", "--role", "web-reader"])
        guard profile.status == 0 else { throw TestFailure("profile create: \(profile.stderr)") }
        return Lab(
            admin: admin, anchorARN: anchorARN,
            profileARN: profile.stdout.trimmingCharacters(in: .whitespacesAndNewlines),
            roleARN: role.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    func explain(_ lab: Lab, _ arguments: [String]) -> AdminHarness.Result {
        let out = Locked("")
        let err = Locked("")
        let console = AdminConsole(
            standardOutput: { text in out.withLock { $0 += text } },
            standardError: { text in err.withLock { $0 += text } })
        let status = ExplainCommand.run(
            ["--certificate", lab.admin.keys + "/web-1.pem", "--json", "--at", lab.at] + arguments
                + ["--pki", lab.admin.pki, "--profiles", lab.admin.profiles], console: console)
        return AdminHarness.Result(status: status, stdout: out.withLock { $0 }, stderr: err.withLock { $0 })
    }

    @Test("names, ARNs and the older --…-arn options give the same decision")
    func namesAndARNsAgree() throws {
        let lab = try lab()
        let byName = explain(lab, ["--trust-anchor", "lab", "--profile", "web", "--role", "web-reader"])
        #expect(byName.status == 0, "\(byName.stdout)\(byName.stderr)")
        #expect(byName.stdout.contains(#""decision":"allowed""#), "\(byName.stdout)")
        let byARN = explain(lab, ["--trust-anchor", lab.anchorARN, "--profile", lab.profileARN, "--role", lab.roleARN])
        let byOldOptions = explain(
            lab, ["--trust-anchor-arn", lab.anchorARN, "--profile-arn", lab.profileARN, "--role-arn", lab.roleARN])
        let mixed = explain(
            lab, ["--trust-anchor-arn", "lab", "--profile", lab.profileARN, "--role-arn", "web-reader"])
        for other in [byARN, byOldOptions, mixed] {
            #expect(other.status == 0)
            #expect(other.stdout == byName.stdout)
        }
    }

    @Test("an unknown name is refused naming what was looked for; both spellings at once is a usage error")
    func unknownNamesAndConflicts() throws {
        let lab = try lab()
        let unknown = explain(lab, ["--trust-anchor", "nope", "--profile", "web", "--role", "web-reader"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no trust anchor named nope"), "\(unknown.stderr)")
        let unknownRole = explain(lab, ["--trust-anchor", "lab", "--profile", "web", "--role", "nope"])
        #expect(unknownRole.status == 1 && unknownRole.stderr.contains("no role nope"), "\(unknownRole.stderr)")
        let both = explain(
            lab,
            ["--trust-anchor", "lab", "--trust-anchor-arn", lab.anchorARN, "--profile", "web", "--role", "web-reader"])
        #expect(both.status == 64, "\(both.stderr)")
        let missing = explain(lab, ["--trust-anchor", "lab", "--profile", "web"])
        #expect(missing.status == 64 && missing.stderr.contains("--role NAME|ARN is required"), "\(missing.stderr)")
        // An unknown ARN is not looked up: the decision refuses it, as the server would.
        let unknownARN = explain(
            lab,
            [
                "--trust-anchor", lab.anchorARN.replacingOccurrences(of: "trust-anchor/", with: "trust-anchor/0"),
                "--profile", "web", "--role", "web-reader",
            ])
        #expect(unknownARN.status == 1 && unknownARN.stdout.contains("unknown_trust_anchor"), "\(unknownARN.stdout)")
    }
}
