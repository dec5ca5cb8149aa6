import AnchorageCore
import AnchorageCrypto
import Foundation
import Testing

/// The CreateSession requests captured from the published Python client, verified at their fixed time.
@Suite struct RolesAnywhereVectorTests {
    struct Vector {
        let leafPEM: String
        let intermediatePEM: String
        let rootPEM: String
        let requests: [SignedRequest]
    }

    static let fixedTime: Int64 = 1_795_575_845  // 2026-11-25T03:04:05Z
    static let anchorArn =
        "arn:aws:rolesanywhere:us-east-1:111122223333:trust-anchor/66666666-7777-8888-9999-000000000000"
    static let profileArn = "arn:aws:rolesanywhere:us-east-1:111122223333:profile/11111111-2222-3333-4444-555555555555"
    static let roleArn = "arn:aws:iam::111122223333:role/R"

    static func load() throws -> Vector {
        let json = try JSONParser.parse([UInt8](try Data(contentsOf: RolesAnywhereTestVector.file)))
        guard case .array(let rawRequests)? = json["requests"] else {
            throw SchemaError(path: "$.requests", message: "")
        }
        let requests = try rawRequests.map { raw -> SignedRequest in
            guard case .array(let rawHeaders)? = raw["headers"], let body = raw["body"]?.stringValue,
                let method = raw["method"]?.stringValue, let path = raw["path"]?.stringValue
            else { throw SchemaError(path: "$.requests[]", message: "bad request") }
            let headers = rawHeaders.compactMap { header -> (name: String, value: String)? in
                guard case .array(let pair) = header, let name = pair[0].stringValue, let value = pair[1].stringValue
                else { return nil }
                return (name, value)
            }
            return SignedRequest(
                method: method, rawPath: path, rawQuery: nil, headers: headers, body: Array(body.utf8),
                sourceAddress: "127.0.0.1")
        }
        return Vector(
            leafPEM: json["leaf_cert_pem"]?.stringValue ?? "",
            intermediatePEM: json["intermediate_pem"]?.stringValue ?? "",
            rootPEM: json["root_pem"]?.stringValue ?? "", requests: requests)
    }

    static func configuration(anchors: [String]) throws -> Configuration {
        let certificates = try anchors.flatMap { try Certificate.parsePEMBundle(Array($0.utf8)) }
        let anchor = try TrustAnchor(
            name: "vector", arn: ARN(anchorArn)!, enabled: true, certificates: certificates, revocationLists: [])
        let policy = try PolicyDocument(
            json: try JSONParser.parse(
                #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"rolesanywhere.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],"Condition":{"ArnEquals":{"aws:SourceArn":"\#(anchorArn)"}}}]}"#
            ))
        let role = Role(arn: ARN(roleArn)!, maxSessionDuration: 3600, trustPolicy: policy)
        let profile = Profile(name: "p", arn: ARN(profileArn)!, enabled: true, roleArns: [roleArn])
        return Configuration(generation: 1, trustAnchors: [anchor], profiles: [profile], roles: [role])
    }

    static let service = CreateSessionService(keyring: TokenKeyring.generate(id: "t", random: SystemRandomSource()))

    @Test func requestWithoutChainVerifiesAgainstAnIntermediateAnchor() throws {
        let vector = try Self.load()
        let configuration = try Self.configuration(anchors: [vector.rootPEM, vector.intermediatePEM])
        let outcome = Self.service.createSession(vector.requests[0], configuration: configuration, now: Self.fixedTime)
        #expect(outcome.denialReason == nil, "\(outcome.detail)")
        guard case .issued(let response) = outcome.result else { return }
        let leaf = try Certificate.parsePEMBundle(Array(vector.leafPEM.utf8))[0]
        #expect(response.assumedRoleArn == "arn:aws:sts::111122223333:assumed-role/R/\(leaf.serialNumberHex)")
        #expect(response.credentials.expiration == Self.fixedTime + 3600)
    }

    @Test func requestWithChainVerifiesAgainstTheRoot() throws {
        let vector = try Self.load()
        let configuration = try Self.configuration(anchors: [vector.rootPEM])
        let outcome = Self.service.createSession(vector.requests[1], configuration: configuration, now: Self.fixedTime)
        #expect(outcome.denialReason == nil, "\(outcome.detail)")
        let withoutChain = Self.service.createSession(
            vector.requests[0], configuration: configuration, now: Self.fixedTime)
        #expect(withoutChain.denialReason == .untrustedCertificate)
    }

    @Test func vectorsAreRefusedOutsideTheClockWindowAndWhenAltered() throws {
        let vector = try Self.load()
        let configuration = try Self.configuration(anchors: [vector.rootPEM])
        let late = Self.service.createSession(
            vector.requests[1], configuration: configuration, now: Self.fixedTime + 301)
        #expect(late.denialReason == .clockSkew)
        var altered = vector.requests[1]
        altered.body[altered.body.count - 3] ^= 0x01
        #expect(
            Self.service.createSession(altered, configuration: configuration, now: Self.fixedTime).denialReason
                == .signatureMismatch)
        var otherHost = vector.requests[1]
        otherHost.headers = otherHost.headers.map { $0.name == "Host" ? ($0.name, "127.0.0.1:18444") : $0 }
        #expect(
            Self.service.createSession(otherHost, configuration: configuration, now: Self.fixedTime).denialReason
                == .signatureMismatch)
    }

    /// The certificate cache belongs to the service that decides (no process-wide state): a request fills its
    /// own service's cache, a copy of the service shares it, and another service starts empty.
    @Test func certificatesAreCachedByTheServiceThatDecides() throws {
        let vector = try Self.load()
        let configuration = try Self.configuration(anchors: [vector.rootPEM])
        let service = CreateSessionService(keyring: TokenKeyring.generate(id: "c", random: SystemRandomSource()))
        let copy = service
        #expect(service.certificates.count == 0)
        let outcome = copy.createSession(vector.requests[1], configuration: configuration, now: Self.fixedTime)
        #expect(outcome.denialReason == nil, "\(outcome.detail)")
        // The leaf and at least one certificate of X-Amz-X509-Chain.
        #expect(service.certificates.count >= 2)
        let other = CreateSessionService(keyring: TokenKeyring.generate(id: "o", random: SystemRandomSource()))
        #expect(other.certificates.count == 0)
    }
}
