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
//  - trust-policy evaluation of an accepted PolicyDocument is deterministic.
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
        let actions = CreateSessionService.requiredActions
        let first = PolicyEvaluator.evaluate(
            policy, principalService: CreateSessionService.servicePrincipal, actions: actions, context: context)
        let second = PolicyEvaluator.evaluate(
            policy, principalService: CreateSessionService.servicePrincipal, actions: actions, context: context)
        fuzzCheck(String(describing: first.reason) == String(describing: second.reason), "evaluation not deterministic")
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
