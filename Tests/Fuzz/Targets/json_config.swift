import Foundation

@testable import AnchorageConfig
// The configuration decoder: JSONParser, JSONWriter, and every schema read from the configuration
// directory — PolicyDocument(json:), AttributeMapping.parse, TokenKeyring(json:), RevocationList(json:) —
// plus, for a quarter of the inputs, ConfigurationLoader over a scratch directory holding the
// input as a role, profile, trust-anchor or revocations file.
//
// Input: byte 0 picks the loader file (0 role, 1 profile, 2 revocations, 3 anchor, otherwise none);
// the rest is the JSON text.
// Invariants beyond "no crash":
//  - an accepted document has no object with a repeated key and nests at most 64 deep;
//  - JSONWriter's output of a parsed document parses to an equal document and is a fixed point;
//  - TokenKeyring and RevocationList written back as JSON parse to the same keys and entries;
//  - AttributeMapping specifiers come out canonical (normalising again changes nothing);
//  - trust-policy evaluation of an accepted PolicyDocument reaches the same reason without a trace (the
//    request path) as with one (explain), and that reason is the one the trace's statements imply;
//  - an accepted trust policy has no NotPrincipal;
//  - every string comparison of an accepted policy's conditions agrees with a reference written apart
//    (code-point equality, ASCII-only case folding, a dynamic-programming glob over code points), on the
//    policy's own values and on look-alikes of them.
@testable import AnchorageCore

private func walk(_ value: JSONValue, depth: Int) {
    fuzzCheck(depth <= 64, "document nests \(depth) deep")
    switch value {
    case .object(let members):
        var keys = Set<String>()
        var byteKeys = Set<[UInt8]>()
        for member in members {
            fuzzCheck(keys.insert(member.key).inserted, "duplicate key accepted: \(member.key)")
            fuzzCheck(byteKeys.insert(Array(member.key.utf8)).inserted, "duplicate key bytes accepted")
            walk(member.value, depth: depth + 1)
        }
    case .array(let elements):
        for element in elements { walk(element, depth: depth + 1) }
    default: break
    }
}

private func checkJSON(_ value: JSONValue) {
    walk(value, depth: value.isContainer ? 1 : 0)
    let written = JSONWriter.bytes(value)
    guard let reparsed = try? JSONParser.parse(written) else {
        fuzzCheck(false, "JSONWriter output does not parse: \(String(decoding: written.prefix(200), as: UTF8.self))")
        return
    }
    fuzzCheck(reparsed == value, "JSONWriter output parses to a different document")
    fuzzCheck(JSONWriter.bytes(reparsed) == written, "JSONWriter output is not a fixed point")
}

extension JSONValue {
    fileprivate var isContainer: Bool {
        switch self {
        case .object, .array: return true
        default: return false
        }
    }
}

private let context = RequestContext.createSession(
    sourceArn: "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/4a1c52e0-7d6b-4b7e-9a55-0e6f4c3b9d21",
    sourceAccount: "123456789012", principalTags: [("x509Subject/OU", "web"), ("x509Subject/CN", "alice")],
    sourceIdentity: "CN=alice", roleSessionName: nil, epochSeconds: 1_795_575_845, sourceIp: "192.0.2.7")

private func checkSchemas(_ value: JSONValue) {
    if let policy = try? PolicyDocument(json: value) {
        checkPolicy(policy, json: value)
    }
    if let identity = try? PolicyDocument(json: value, kind: .identity) {
        // An identity policy never names a principal, and every statement names its resources.
        fuzzCheck(identity.statements.allSatisfy { !$0.resources.isEmpty }, "identity statement without resources")
        for resource in ["*", "arn:aws:iam::123456789012:role/web-reader"] {
            let decision = IdentityPolicyEvaluator.evaluate(
                [IdentityPolicy(name: "fuzz", document: identity)], action: "iam:GetRole", resources: [resource],
                context: context)
            // Deny by default: an allow needs an Allow statement.
            fuzzCheck(
                decision != .allowed || identity.statements.contains { $0.effect == .allow },
                "allowed without an Allow statement")
        }
    }
    if let mappings = (try? AttributeMapping.parse(value, path: "$")) ?? nil {
        for mapping in mappings {
            for specifier in mapping.specifiers {
                let again = try? AttributeMapping.normalise(specifier, field: mapping.certificateField, path: "$")
                fuzzCheck(again == specifier, "specifier \(specifier) is not canonical")
            }
        }
    }
    if let keyring = try? TokenKeyring(json: value) {
        let again = try? TokenKeyring(json: keyring.json)
        fuzzCheck(
            again.map {
                $0.keys.map(\.id) == keyring.keys.map(\.id) && $0.keys.map(\.secret) == keyring.keys.map(\.secret)
            }
                == true, "keyring does not survive its own JSON")
    }
    if let list = try? RevocationList(json: value) {
        do {
            let again = try RevocationList(json: try JSONParser.parse(JSONWriter.bytes(list.json)))
            fuzzCheck(again.entries == list.entries, "revocations change when written back")
        } catch {
            fuzzCheck(false, "revocations written back do not load: \(error)")
        }
    }
    _ = SessionClaims(json: value)
}

// MARK: - Trust policies

private func checkPolicy(_ policy: PolicyDocument, json: JSONValue) {
    if case .array(let statements)? = json["Statement"] {
        for statement in statements { fuzzCheck(statement["NotPrincipal"] == nil, "NotPrincipal accepted") }
    } else if let statement = json["Statement"] {
        fuzzCheck(statement["NotPrincipal"] == nil, "NotPrincipal accepted")
    }
    let actions = CreateSessionService.requiredActions
    let traced = PolicyEvaluator.evaluate(
        policy, principalService: CreateSessionService.servicePrincipal, actions: actions, context: context)
    let untraced = PolicyEvaluator.evaluate(
        policy, principalService: CreateSessionService.servicePrincipal, actions: actions, context: context,
        tracing: false)
    fuzzCheck(
        traced.reason == untraced.reason,
        "the request path and explain disagree: \(traced.reason) vs \(untraced.reason)")
    fuzzCheck(untraced.trace.isEmpty, "the request path built a trace")
    // The reason the trace implies, derived from its per-statement facts alone.
    let applicable = traced.trace.filter {
        $0.principalMatched && !$0.matchedActions.isEmpty && $0.conditions.allSatisfy(\.result)
    }
    let implied: PolicyDecision.Reason
    if let deny = applicable.first(where: { $0.effect == .deny }) {
        implied = .explicitDeny(statementIndex: deny.index, sid: deny.sid)
    } else {
        let missing = actions.filter { action in
            !applicable.contains { $0.effect == .allow && $0.matchedActions.contains(action) }
        }
        implied = missing.isEmpty ? .allowed : .noMatchingAllow(missingActions: missing)
    }
    fuzzCheck(traced.reason == implied, "reason \(traced.reason) is not what the trace implies (\(implied))")

    for statement in policy.statements {
        for condition in statement.conditions {
            let samples = condition.values.flatMap(lookAlikes) + ["K8s-admin", "\u{212A}8s-admin", ""]
            for policyValue in condition.values.prefix(4) {
                for sample in samples.prefix(24) {
                    checkStringComparison(condition.operator.base, context: sample, policy: policyValue)
                }
            }
        }
    }
}

/// `value`, and variants that only look like it: ASCII case swapped, K as KELVIN SIGN, Å as ANGSTROM SIGN
/// and decomposed, one code point dropped.
private func lookAlikes(_ value: String) -> [String] {
    let swapped = String(
        decoding: value.utf8.map { (65...90).contains($0) || (97...122).contains($0) ? $0 ^ 0x20 : $0 }, as: UTF8.self)
    var scalars = String.UnicodeScalarView()
    for scalar in value.unicodeScalars {
        switch scalar {
        case "K": scalars.append("\u{212A}")
        case "\u{C5}": scalars.append(contentsOf: "A\u{30A}".unicodeScalars)
        default: scalars.append(scalar)
        }
    }
    return [value, swapped, String(scalars), String(value.unicodeScalars.dropLast().map(Character.init))]
}

private func checkStringComparison(_ base: ConditionOperator.Base, context: String, policy: String) {
    let expected: Bool
    switch base {
    case .stringEquals, .stringNotEquals:
        expected = Array(context.unicodeScalars) == Array(policy.unicodeScalars)
    case .stringEqualsIgnoreCase, .stringNotEqualsIgnoreCase:
        func fold(_ s: String) -> [UInt32] {
            s.unicodeScalars.map { (65...90).contains($0.value) ? $0.value + 32 : $0.value }
        }
        expected = fold(context) == fold(policy)
    case .stringLike, .stringNotLike:
        expected = referenceGlob(Array(policy.unicodeScalars), Array(context.unicodeScalars))
    default:
        return
    }
    fuzzCheck(
        ConditionMatcher.positive(base, context: context, policy: policy) == expected,
        "\(base.rawValue) of \(context.unicodeScalars.map { $0.value }) against \(policy.unicodeScalars.map { $0.value }) is not \(expected)"
    )
}

/// `matched[i][j]`: the first `i` pattern code points match the first `j` value code points.
private func referenceGlob(_ pattern: [Unicode.Scalar], _ value: [Unicode.Scalar]) -> Bool {
    guard pattern.count * value.count <= 1 << 20 else {
        return Glob.matches(String(String.UnicodeScalarView(pattern)), String(String.UnicodeScalarView(value)))
    }
    var matched = [[Bool]](repeating: [Bool](repeating: false, count: value.count + 1), count: pattern.count + 1)
    matched[0][0] = true
    for i in 1...max(pattern.count, 1) where i <= pattern.count {
        let p = pattern[i - 1]
        matched[i][0] = p == "*" && matched[i - 1][0]
        for j in 1...max(value.count, 1) where j <= value.count {
            switch p {
            case "*": matched[i][j] = matched[i - 1][j] || matched[i][j - 1]
            case "?": matched[i][j] = matched[i - 1][j - 1]
            default: matched[i][j] = matched[i - 1][j - 1] && p == value[j - 1]
            }
        }
    }
    return matched[pattern.count][value.count]
}

// MARK: - Loader over a scratch directory

private let scratch: String = {
    let path = NSTemporaryDirectory() + "anchorage-fuzz-config-\(getpid())"
    try? FileManager.default.removeItem(atPath: path)
    for directory in ["PKI/trust-anchors/example", "Profiles/roles"] {
        try! FileManager.default.createDirectory(atPath: path + "/" + directory, withIntermediateDirectories: true)
    }
    return path
}()

private let baseRole = """
    {"Arn":"arn:aws:iam::123456789012:role/web-reader","AssumeRolePolicyDocument":{"Version":"2012-10-17",\
    "Statement":[{"Effect":"Allow","Principal":{"Service":"rolesanywhere.amazonaws.com"},\
    "Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}]}}
    """

private func write(_ bytes: [UInt8], _ relative: String) {
    _ = FileManager.default.createFile(atPath: scratch + "/" + relative, contents: Data(bytes))
}

private func runLoader(_ mode: UInt8, _ bytes: [UInt8]) {
    let files = [
        "Profiles/roles/web-reader.json", "Profiles/web.json", "PKI/revocations.json",
        "PKI/trust-anchors/example/anchor.json",
    ]
    let file = files[Int(mode)]
    write(Array(baseRole.utf8), files[0])
    write(bytes, file)
    defer {
        if mode != 0 { try? FileManager.default.removeItem(atPath: scratch + "/" + file) }
    }
    let loader = ConfigurationLoader(pkiDirectory: scratch + "/PKI", profilesDirectory: scratch + "/Profiles")
    if let configuration = try? loader.load(generation: 1) {
        for profile in configuration.profiles.values {
            for roleArn in profile.roleArns {
                fuzzCheck(configuration.roles[roleArn] != nil, "profile names a missing role")
            }
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let mode = input.byte()
    let bytes = input.rest()
    if let value = try? JSONParser.parse(bytes) {
        checkJSON(value)
        checkSchemas(value)
    }
    if mode < 4 { runLoader(mode, bytes) }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    fuzzWriteSeedsIfAsked { directory in
        let seeds: [(String, UInt8, String)] = [
            (
                "role", 0,
                """
                {"Arn":"arn:aws:iam::123456789012:role/web-reader","MaxSessionDuration":3600,
                 "AssumeRolePolicyDocument":{"Version":"2012-10-17","Statement":[{"Sid":"ra","Effect":"Allow",
                 "Principal":{"Service":"rolesanywhere.amazonaws.com"},
                 "Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],
                 "Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/4a1c52e0-7d6b-4b7e-9a55-0e6f4c3b9d21"},
                 "StringLike":{"aws:PrincipalTag/x509Subject/OU":["web","ops-*"]},
                 "IpAddress":{"aws:SourceIp":["192.0.2.0/24","2001:db8::/32"]},
                 "DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"},
                 "ForAnyValue:StringEquals":{"aws:PrincipalTag/x509SAN/DNS":"a.example"},
                 "Null":{"aws:SourceIdentity":"false"}}},
                 {"Effect":"Deny","Principal":"*","NotAction":"sts:AssumeRole","Condition":{"NumericGreaterThan":{"aws:EpochTime":"1"}}}]}}
                """
            ),
            (
                "role-encoded", 0,
                """
                {"Arn":"arn:aws:iam::123456789012:role/web-reader","AssumeRolePolicyDocument":"%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22rolesanywhere.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3A*%22%7D%5D%7D"}
                """
            ),
            (
                "profile", 1,
                """
                {"profileArn":"arn:aws:rolesanywhere:us-east-1:123456789012:profile/8f0e2a3b-1c4d-4e5f-8a9b-0c1d2e3f4a5b",
                 "enabled":true,"roleArns":["arn:aws:iam::123456789012:role/web-reader"],"durationSeconds":3600,
                 "acceptRoleSessionName":true,"sessionPolicy":null,"managedPolicyArns":[],"bindSourceIp":false,
                 "attributeMappings":[{"certificateField":"x509Subject","mappingRules":[{"specifier":"CN"},{"specifier":"OU"}]},
                 {"certificateField":"x509SAN","mappingRules":[{"specifier":"DNS"},{"specifier":"Name/CN"},{"specifier":"URI"}]},
                 {"certificateField":"x509Issuer","mappingRules":[{"specifier":"*"}]}]}
                """
            ),
            (
                "revocations", 2,
                """
                {"revocations":[
                 {"id":"r-1","type":"certificate-serial","serial":"0A:1B:2c","trustAnchorArn":"arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/4a1c52e0-7d6b-4b7e-9a55-0e6f4c3b9d21","revokedAt":"2026-11-22T01:02:03Z","revokedBy":"ops","reason":"key compromise"},
                 {"id":"r-2","type":"certificate-sha256","sha256":"\(String(repeating: "ab", count: 32))","revokedAt":"2026-11-22T01:02:03Z"},
                 {"id":"r-3","type":"access-key","accessKeyId":"ASIAABCDEFGHIJKLMNOP","revokedAt":"2026-11-22T01:02:03Z"},
                 {"id":"r-4","type":"trust-anchor","trustAnchorArn":"arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/4a1c52e0-7d6b-4b7e-9a55-0e6f4c3b9d21","issuedBefore":"2026-11-22T00:00:00Z","revokedAt":"2026-11-22T01:02:03Z"},
                 {"id":"r-5","type":"role","roleArn":"arn:aws:iam::123456789012:role/web-reader","issuedBefore":"1999-12-31T23:59:59Z","revokedAt":"2026-11-22T01:02:03Z","reason":null}]}
                """
            ),
            (
                "anchor", 3,
                """
                {"trustAnchorArn":"arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/4a1c52e0-7d6b-4b7e-9a55-0e6f4c3b9d21","enabled":true}
                """
            ),
            // A test-only keyring: two keys, the newest last (never a production secret).
            (
                "keyring", 9,
                """
                {"keys":[{"id":"k-20261101","secret":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=","createdAt":"2026-11-01T00:00:00Z"},
                {"id":"k-20261122","secret":"ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="}]}
                """
            ),
            (
                "strings", 9,
                #"[null,true,false,-0.5e+10,123456789012345678901234567890,"\u00e9\ud83d\ude00\n\t\"\\\/",{"":{}},[[[]]]]"#
            ),
        ]
        for (name, mode, text) in seeds { fuzzWriteSeed(directory, name, [mode] + Array(text.utf8)) }
    }
    return 0
}
