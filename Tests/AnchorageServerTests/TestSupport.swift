import AnchorageConfig
import AnchorageCore
import AnchorageCrypto
import AnchorageHTTP
import Foundation
import Testing

/// 2026-11-25T03:04:05Z: every certificate, signature and clock in this target is anchored here.
let testNow: Int64 = 1_795_575_845

let anchorArn = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/4a1c52e0-7d6b-4b7e-9a55-0e6f4c3b9d21"
let secondAnchorArn = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/0b7e1f3c-2222-4e5f-8a9b-aaaaaaaaaaaa"
let profileArn = "arn:aws:rolesanywhere:us-east-1:123456789012:profile/8f0e2a3b-1c4d-4e5f-8a9b-0c1d2e3f4a5b"
let minimalProfileArn = "arn:aws:rolesanywhere:us-east-1:123456789012:profile/11111111-1c4d-4e5f-8a9b-0c1d2e3f4a5b"
let roleArn = "arn:aws:iam::123456789012:role/web-reader"

// MARK: - Temporary directories

/// A fresh directory under the system temporary directory, removed when the value is released.
final class TemporaryDirectory: @unchecked Sendable {
    let path: String

    init() {
        var template = Array((NSTemporaryDirectory() + "/anchorage-servertests-XXXXXX").utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(created != nil, "mkdtemp failed")
        path = String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
            .replacingOccurrences(of: "//", with: "/")
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// `path/relative`.
    func url(_ relative: String) -> String { path + "/" + relative }

    /// Writes `bytes` to `relative`, creating parent directories.
    func write(_ relative: String, _ bytes: [UInt8]) throws {
        let full = url(relative)
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: full, contents: Data(bytes)) else {
            throw TestFailure("cannot write \(full)")
        }
    }

    func write(_ relative: String, _ text: String) throws { try write(relative, Array(text.utf8)) }

    func read(_ relative: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: url(relative)) else {
            throw TestFailure("cannot read \(relative)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    func remove(_ relative: String) throws { try FileManager.default.removeItem(atPath: url(relative)) }

    func copy(_ from: String, to: String) throws {
        try FileManager.default.copyItem(atPath: url(from), toPath: url(to))
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

// MARK: - Test PKI

/// A CA and workload leaves, issued in-process.
struct TestPKI: Sendable {
    let caKey: PrivateKey
    let ca: Certificate
    /// A second, unrelated CA (the second trust anchor; the "other key" for forged CRLs).
    let otherCAKey: PrivateKey
    let otherCA: Certificate
    /// OU=web: allowed by the fixture role's trust policy.
    let webKey: PrivateKey
    let webLeaf: Certificate
    /// OU=db: refused by the fixture role's trust policy.
    let dbKey: PrivateKey
    let dbLeaf: Certificate

    /// Built once: key generation and issuance are the slow part of this target.
    static let shared: TestPKI = try! TestPKI()

    private init() throws {
        (caKey, ca) = try Self.makeCA(name: "Anchorage Test CA")
        (otherCAKey, otherCA) = try Self.makeCA(name: "Other Test CA")
        (webKey, webLeaf) = try Self.makeLeaf(ou: "web", serial: [0x01, 0x23], issuer: ca, issuerKey: caKey)
        (dbKey, dbLeaf) = try Self.makeLeaf(ou: "db", serial: [0x04, 0x56], issuer: ca, issuerKey: caKey)
    }

    static func makeCA(name: String) throws -> (PrivateKey, Certificate) {
        let key = try PrivateKey.generate(.ecP256)
        var builder = CertificateBuilder(
            subject: [("O", "Anchorage Tests"), ("CN", name)], notBefore: testNow - 86400,
            notAfter: testNow + 86400 * 365)
        builder.isCA = true
        builder.keyUsage = "keyCertSign,cRLSign"
        return (key, try builder.issue(for: key, issuer: nil, issuerKey: key))
    }

    static func makeLeaf(ou: String, serial: [UInt8], issuer: Certificate, issuerKey: PrivateKey) throws
        -> (PrivateKey, Certificate)
    {
        let key = try PrivateKey.generate(.ecP256)
        var builder = CertificateBuilder(
            subject: [("O", "Anchorage Tests"), ("OU", ou), ("CN", "\(ou)-workload")], notBefore: testNow - 3600,
            notAfter: testNow + 86400)
        builder.keyUsage = "digitalSignature"
        builder.serialNumber = serial
        return (key, try builder.issue(for: key, issuer: issuer, issuerKey: issuerKey))
    }
}

// MARK: - CRLs (hand-built DER; AnchorageCrypto only parses them)

enum DER {
    static func length(_ n: Int) -> [UInt8] {
        if n < 0x80 { return [UInt8(n)] }
        if n < 0x100 { return [0x81, UInt8(n)] }
        return [0x82, UInt8(n >> 8), UInt8(n & 0xFF)]
    }

    static func tlv(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] { [tag] + length(content.count) + content }

    static func sequence(_ parts: [UInt8]...) -> [UInt8] { tlv(0x30, parts.flatMap { $0 }) }

    /// The child elements (each a full TLV) of the constructed element `der`.
    static func children(_ der: [UInt8]) -> [[UInt8]] {
        func header(_ bytes: [UInt8], at i: Int) -> (headerLength: Int, contentLength: Int) {
            let first = Int(bytes[i + 1])
            if first < 0x80 { return (2, first) }
            let count = first & 0x7F
            var value = 0
            for k in 0..<count { value = value << 8 | Int(bytes[i + 2 + k]) }
            return (2 + count, value)
        }
        let outer = header(der, at: 0)
        var out: [[UInt8]] = []
        var i = outer.headerLength
        while i < outer.headerLength + outer.contentLength {
            let h = header(der, at: i)
            out.append(Array(der[i..<i + h.headerLength + h.contentLength]))
            i += h.headerLength + h.contentLength
        }
        return out
    }

    static func utcTime(_ seconds: Int64) -> [UInt8] {
        let (y, m, d, hh, mm, ss) = UTCTimestamp.components(seconds)
        let text = [y % 100, m, d, hh, mm, ss].map { $0 < 10 ? "0\($0)" : "\($0)" }.joined() + "Z"
        return tlv(0x17, Array(text.utf8))
    }

    /// The DER subject Name of `certificate`.
    static func subjectName(_ certificate: Certificate) -> [UInt8] {
        var tbs = children(children(certificate.derBytes)[0])
        if tbs[0][0] == 0xA0 { tbs.removeFirst() }  // [0] version
        return tbs[4]  // serial, signature, issuer, validity, subject
    }

    /// A v2 CRL naming `issuer` as its issuer, signed (ECDSA-SHA256) by `signingKey`, revoking `revokedSerials`.
    static func crl(issuer: Certificate, signingKey: PrivateKey, revokedSerials: [[UInt8]] = []) throws -> [UInt8] {
        let ecdsaWithSHA256 = sequence(tlv(0x06, [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02]))
        var tbsParts: [UInt8] = tlv(0x02, [0x01]) + ecdsaWithSHA256 + subjectName(issuer)
        tbsParts += utcTime(testNow - 3600) + utcTime(testNow + 86400 * 7)
        if !revokedSerials.isEmpty {
            tbsParts += tlv(
                0x30, revokedSerials.flatMap { sequence(tlv(0x02, $0), utcTime(testNow - 1800)) })
        }
        let tbs = tlv(0x30, tbsParts)
        let signature = try signingKey.signSHA256(tbs)
        return sequence(tbs, ecdsaWithSHA256, tlv(0x03, [0x00] + signature))
    }

    static func pem(_ der: [UInt8], label: String) -> String {
        "-----BEGIN \(label)-----\n\(Base64.encode(der))\n-----END \(label)-----\n"
    }
}

// MARK: - Configuration fixture

/// A valid `PKI/` + `Profiles/` tree in a temporary directory, which a test then breaks.
///
/// PKI/trust-anchors/main    (enabled, the test CA)       PKI/trust-anchors/second (disabled, the other CA)
/// Profiles/web.json         (every key written)          Profiles/minimal.json    (optional keys omitted)
/// Profiles/roles/web-reader.json (trust policy: OU=web)
final class ConfigFixture: @unchecked Sendable {
    let directory = TemporaryDirectory()
    let pki = TestPKI.shared

    var root: String { directory.path }
    var pkiDirectory: String { directory.url("PKI") }
    var profilesDirectory: String { directory.url("Profiles") }
    var loader: ConfigurationLoader {
        ConfigurationLoader(pkiDirectory: pkiDirectory, profilesDirectory: profilesDirectory)
    }

    static let mainAnchor = "PKI/trust-anchors/main/anchor.json"
    static let mainCertificates = "PKI/trust-anchors/main/certificates.pem"
    static let secondAnchor = "PKI/trust-anchors/second/anchor.json"
    static let secondCertificates = "PKI/trust-anchors/second/certificates.pem"
    static let webProfile = "Profiles/web.json"
    static let minimalProfile = "Profiles/minimal.json"
    static let role = "Profiles/roles/web-reader.json"

    static func anchorJSON(arn: String = anchorArn, enabled: String = "true", extra: String = "") -> String {
        #"{"trustAnchorArn": "\#(arn)", "enabled": \#(enabled)\#(extra)}"#
    }

    static func profileJSON(
        arn: String = profileArn, roleArns: String = #"["\#(roleArn)"]"#, durationSeconds: String = "1800",
        extra: String = ""
    ) -> String {
        #"""
        {
          "profileArn": "\#(arn)",
          "enabled": true,
          "roleArns": \#(roleArns),
          "durationSeconds": \#(durationSeconds),
          "acceptRoleSessionName": true,
          "sessionPolicy": null,
          "managedPolicyArns": [],
          "attributeMappings": null\#(extra)
        }
        """#
    }

    static let minimalProfileJSON =
        #"{"profileArn": "\#(minimalProfileArn)", "enabled": false, "roleArns": ["\#(roleArn)"]}"#

    static func policyJSON(effect: String = "Allow", ou: String = "web") -> String {
        #"""
        {
            "Version": "2012-10-17",
            "Statement": [{
              "Effect": "\#(effect)",
              "Principal": {"Service": "rolesanywhere.amazonaws.com"},
              "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
              "Condition": {
                "ArnEquals": {"aws:SourceArn": "\#(anchorArn)"},
                "StringEquals": {"aws:PrincipalTag/x509Subject/OU": "\#(ou)"}
              }
            }]
          }
        """#
    }

    static func roleJSON(
        arn: String = roleArn, maxSessionDuration: String = "3600", policy: String = policyJSON(), extra: String = ""
    ) -> String {
        #"""
        {
          "Arn": "\#(arn)",
          "MaxSessionDuration": \#(maxSessionDuration),
          "AssumeRolePolicyDocument": \#(policy)\#(extra)
        }
        """#
    }

    init() throws {
        try write(Self.mainAnchor, Self.anchorJSON())
        try write(Self.mainCertificates, pki.ca.pemString)
        try write(Self.secondAnchor, Self.anchorJSON(arn: secondAnchorArn, enabled: "false"))
        try write(Self.secondCertificates, pki.otherCA.pemString)
        try write(Self.webProfile, Self.profileJSON())
        try write(Self.minimalProfile, Self.minimalProfileJSON)
        try write(Self.role, Self.roleJSON())
    }

    func write(_ relative: String, _ text: String) throws { try directory.write(relative, text) }
    func write(_ relative: String, _ bytes: [UInt8]) throws { try directory.write(relative, bytes) }
    func url(_ relative: String) -> String { directory.url(relative) }

    /// The issues of a load that must fail; records a test issue (and returns []) when it succeeds.
    func loadIssues(sourceLocation: SourceLocation = #_sourceLocation) -> [ConfigurationIssue] {
        do {
            let configuration = try loader.load(generation: 1)
            Issue.record(
                "expected the load to fail, got \(configuration.trustAnchors.count) anchors",
                sourceLocation: sourceLocation)
            return []
        } catch {
            return error.issues
        }
    }
}

// MARK: - Signing CreateSession requests (test-side SigV4-X509)

enum RequestSigner {
    static let host = "anchorage.test"

    static func createSessionBody(
        trustAnchorArn: String = anchorArn, profileArn: String = profileArn, roleArn: String = roleArn
    ) -> [UInt8] {
        Array(
            #"{"profileArn":"\#(profileArn)","roleArn":"\#(roleArn)","trustAnchorArn":"\#(trustAnchorArn)"}"#.utf8)
    }

    /// A `POST /sessions` signed with `key` for `leaf` at `now`, as AWS's helper sends it.
    static func signedCreateSession(
        leaf: Certificate, key: PrivateKey, now: Int64 = testNow, body: [UInt8] = createSessionBody(),
        contentType: String? = "application/json", remoteAddress: String = "203.0.113.7", host: String = host,
        query: String? = nil
    ) throws -> HTTPRequest {
        let amzDate = AmzDate(secondsSinceEpoch: now)!
        var headers: [(name: String, value: String)] = []
        if let contentType { headers.append((name: "Content-Type", value: contentType)) }
        headers.append((name: "Host", value: host))
        headers.append((name: "X-Amz-Date", value: amzDate.string))
        headers.append((name: "X-Amz-X509", value: Base64.encode(leaf.derBytes)))
        let signedHeaders = headers.map { $0.name.lowercased() }.sorted()
        let scope = CredentialScope(date: amzDate.datePart, region: "us-east-1", service: "rolesanywhere")
        let algorithm = "AWS4-X509-ECDSA-SHA256"
        let stringToSign = X509RequestSigner.canonicalRequestAndStringToSign(
            method: "POST", rawPath: "/sessions", rawQuery: query, headers: headers, signedHeaders: signedHeaders,
            body: body, algorithm: algorithm, amzDate: amzDate.string, scope: scope
        ).stringToSign
        let signature = try key.signSHA256(Array(stringToSign.utf8))
        headers.append(
            (
                name: "Authorization",
                value:
                    "\(algorithm) Credential=\(leaf.serialNumberDecimal)/\(scope.string), SignedHeaders=\(signedHeaders.joined(separator: ";")), Signature=\(Hex.encode(signature))"
            ))
        return HTTPRequest(
            method: "POST", target: "/sessions" + (query.map { "?" + $0 } ?? ""), headers: HTTPHeaders(headers),
            body: body,
            remoteAddress: remoteAddress)
    }
}

// MARK: - JSON helpers

extension JSONValue {
    /// Member names of an object, in document order ([] for anything else).
    var keys: [String] {
        guard case .object(let members) = self else { return [] }
        return members.map(\.key)
    }

    subscript(index: Int) -> JSONValue? {
        guard case .array(let items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }
}

extension HTTPResponse {
    var bodyText: String { String(decoding: body, as: UTF8.self) }
    func json() throws -> JSONValue { try JSONParser.parse(body) }
}
