import AnchorageTestSupport
import Foundation
import Testing

/// One test case per denial reason: wire status, X-Amzn-ErrorType, message, and the audit-log `reason`.
@Suite("CreateSession end to end: denials")
struct DenialTests {
    static let untrusted = "Untrusted Signing Certificate"
    static let invalidSignature = "Invalid signature"

    struct Denial: Sendable, CustomTestStringConvertible {
        let reason: String
        let request: RawRequest
        var status = 403
        var errorType = "AccessDeniedException"
        /// The exact `message` body member, when the contract fixes it.
        var message: String? = nil
        var note = ""
        var testDescription: String { note.isEmpty ? reason : "\(reason) (\(note))" }
    }

    static let garbageDER = Data("this is definitely not a DER certificate".utf8).base64EncodedString()

    static let cases: [Denial] = [
        // certificate and path
        Denial(reason: "certificate_expired", request: RawRequest(leaf: "leaf-expired"), message: untrusted),
        Denial(
            reason: "certificate_not_yet_valid", request: RawRequest(leaf: "leaf-not-yet-valid"), message: untrusted),
        Denial(
            reason: "untrusted_certificate", request: RawRequest(leaf: "leaf-unknown-ca"), message: untrusted,
            note: "unknown CA"),
        Denial(
            reason: "untrusted_certificate", request: RawRequest(leaf: "leaf-ec-p256-int"), message: untrusted,
            note: "intermediate missing"),
        Denial(reason: "leaf_is_ca", request: RawRequest(leaf: "leaf-ca"), message: untrusted),
        Denial(
            reason: "leaf_missing_digital_signature", request: RawRequest(leaf: "leaf-no-digitalsig"),
            message: untrusted),
        Denial(reason: "weak_signature_algorithm", request: RawRequest(leaf: "leaf-sha1"), message: untrusted),
        Denial(reason: "weak_key", request: RawRequest(leaf: "leaf-rsa-1024"), message: untrusted),
        Denial(reason: "certificate_revoked", request: RawRequest(leaf: "leaf-revoked"), message: untrusted),
        Denial(reason: "leaf_not_v3", request: RawRequest(leaf: "leaf-v1"), message: untrusted),
        Denial(
            reason: "malformed_certificate",
            request: RawRequest(leaf: "leaf-ec-p256", arguments: ["--x509-header", "!!!notbase64"]),
            message: untrusted, note: "X-Amz-X509 not base64"),
        Denial(
            reason: "malformed_certificate",
            request: RawRequest(leaf: "leaf-ec-p256", arguments: ["--x509-header", garbageDER]),
            message: untrusted, note: "X-Amz-X509 not DER"),
        Denial(
            reason: "chain_too_long",
            request: RawRequest(
                leaf: "leaf-ec-p256-int", chain: ["chain-intermediate"],
                arguments: ["--chain-count", "6"]),
            message: untrusted, note: "six certificates"),
        Denial(
            reason: "trust_anchor_disabled",
            request: RawRequest(leaf: "leaf-ec-p256", trustAnchorArn: ARNs.disabledAnchor)),
        // authorization
        Denial(
            reason: "profile_disabled",
            request: RawRequest(leaf: "leaf-ec-p256", profileArn: ARNs.disabledProfile)),
        Denial(reason: "role_not_in_profile", request: RawRequest(leaf: "leaf-ec-p256", roleArn: ARNs.notInProfile)),
        Denial(
            reason: "trust_policy_not_allowed", request: RawRequest(leaf: "leaf-ec-p256", roleArn: ARNs.opsOnly),
            note: "OU condition not met"),
        Denial(
            reason: "trust_policy_not_allowed", request: RawRequest(leaf: "leaf-multi-ou"),
            note: "multi-valued OU is not web"),
        Denial(
            reason: "trust_policy_denied", request: RawRequest(leaf: "leaf-ec-p256", roleArn: ARNs.denied),
            note: "explicit Deny"),
        Denial(
            reason: "role_session_name_not_allowed",
            request: RawRequest(leaf: "leaf-ec-p256", arguments: ["--role-session-name", "my-session"]),
            message: "Not authorized to set roleSessionName."),
        // signature
        Denial(
            reason: "signature_mismatch", request: RawRequest(leaf: "leaf-ec-p256", arguments: ["--alter-body"]),
            message: invalidSignature, note: "body altered after signing"),
        Denial(
            reason: "serial_mismatch", request: RawRequest(leaf: "leaf-ec-p256", arguments: ["--serial", "12345"]),
            message: invalidSignature),
        Denial(
            reason: "clock_skew",
            request: RawRequest(leaf: "leaf-ec-p256", arguments: ["--date-skew-seconds", "600"]),
            message: invalidSignature, note: "+600 s"),
        Denial(
            reason: "wrong_region", request: RawRequest(leaf: "leaf-ec-p256", arguments: ["--region", "eu-west-1"]),
            message: invalidSignature),
        Denial(
            reason: "unsupported_algorithm",
            request: RawRequest(leaf: "leaf-ec-p256", arguments: ["--algorithm", "AWS4-X509-MLDSA"]),
            message: "Unsupported signing algorithm; use AWS4-X509-RSA-SHA256 or AWS4-X509-ECDSA-SHA256"),
        Denial(
            reason: "key_algorithm_mismatch",
            request: RawRequest(leaf: "leaf-rsa-2048", arguments: ["--algorithm", "AWS4-X509-ECDSA-SHA256"]),
            message: invalidSignature, note: "RSA key, ECDSA algorithm"),
        Denial(
            reason: "unsigned_required_header",
            request: RawRequest(leaf: "leaf-ec-p256", arguments: ["--omit-signed-header", "x-amz-x509"]),
            message: invalidSignature),
        // validation
        Denial(
            reason: "malformed_request",
            request: RawRequest(leaf: "leaf-ec-p256", arguments: ["--body", "{\"durationSeconds\":"]),
            status: 400, errorType: "ValidationException", note: "malformed JSON"),
        Denial(
            reason: "invalid_duration", request: RawRequest(leaf: "leaf-ec-p256", arguments: ["--duration", "100"]),
            status: 400, errorType: "ValidationException", note: "durationSeconds 100"),
    ]

    @Test("denied request: status, X-Amzn-ErrorType, message and audit reason", arguments: cases)
    func denied(_ c: Denial) async throws {
        let context = try await SharedServer.shared.context()
        let r = try await Clients.raw(c.request, context)
        #expect(r.status == c.status, "response: \(r.output)")
        #expect(r.errorCode == c.errorType, "X-Amzn-ErrorType \(r.errorType ?? "<missing>")")
        #expect(r.json?["message"]?.string != nil, "error body must be {\"message\": …}: \(r.body)")
        if let message = c.message {
            #expect(r.json?["message"]?.string == message)
        }
        let requestId = try #require(r.requestId, "x-amzn-RequestId header missing: \(r.headers)")
        let entry = try #require(
            try context.server.auditEntry(requestId: requestId),
            "no audit line with requestId \(requestId)")
        #expect(entry["outcome"]?.string == "denied", "audit: \(entry)")
        #expect(entry["reason"]?.string == c.reason, "audit: \(entry)")
        #expect(entry["operation"]?.string != nil)
        #expect(entry["time"]?.string != nil)
        // The precise reason is for the audit log only, never for the caller.
        #expect(!r.body.contains(c.reason), "the wire body leaks the reason: \(r.body)")

        let text = try context.server.auditLogText()
        for secret in IssuedSecrets.shared.all {
            #expect(!text.contains(secret), "the audit log contains an issued secret or session token")
        }
    }
}
