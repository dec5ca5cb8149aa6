// The certificate headers: X-Amz-X509 and X-Amz-X509-Chain, base64 → DER → Certificate →
// chain, through the same code CreateSession runs (Base64, the service's CertificateCache, Certificate,
// TrustStore, CertificateIdentity, PrincipalTags, LeafPolicy) and through
// CreateSessionService.createSession itself, on the real signed requests of
// Tests/Fixtures/vectors/roles-anywhere with the two headers replaced by the input.
//
// Input: `X-Amz-X509 value` LF [`X-Amz-X509-Chain value`]; without a second line the request
// carries no chain header.
// Invariants beyond "no crash":
//  - Base64.decode and CertificateCache's allocation-free decoder agree on every header value;
//  - a certificate that parses keeps its exact DER, parses again to the same fingerprint, and
//    refuses to parse with a trailing byte; the serial's decimal sign matches its negativity;
//  - X509Decoder (keyless parse, key built from its fields) parses exactly what d2i_X509 parses, to
//    the same fields and the same public key;
//  - a trusted path starts at the leaf, ends at an anchor certificate, and every certificate in it
//    is signed by the next;
//  - CreateSession issues credentials only for the headers exactly as the client signed them.
import AnchorageBasics

@testable import AnchorageCore
@testable import AnchorageCrypto

private let now = AmzDate(RolesAnywhereVector.time)!.secondsSinceEpoch
private let root = try! Certificate(derBytes: Base64.decode(RolesAnywhereVector.rootBase64)!)
/// The vector's first request carries no chain, so the anchor holds the intermediate as well (as an
/// anchor registered with its intermediate CA does).
private let intermediate = try! Certificate(derBytes: Base64.decode(RolesAnywhereVector.intermediateBase64)!)
private let anchorArn = "arn:aws:rolesanywhere:us-east-1:111122223333:trust-anchor/66666666-7777-8888-9999-000000000000"
private let profileArn = "arn:aws:rolesanywhere:us-east-1:111122223333:profile/11111111-2222-3333-4444-555555555555"
private let roleArn = "arn:aws:iam::111122223333:role/R"

private let configuration: Configuration = {
    let policy = try! PolicyDocument(
        json: try! JSONParser.parse(
            """
            {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"rolesanywhere.amazonaws.com"},
            "Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}]}
            """))
    let anchor = try! TrustAnchor(
        name: "vector", arn: ARN(anchorArn)!, enabled: true, certificates: [root, intermediate], revocationLists: [])
    let profile = Profile(name: "vector", arn: ARN(profileArn)!, enabled: true, roleArns: [roleArn])
    let role = Role(arn: ARN(roleArn)!, maxSessionDuration: 3600, trustPolicy: policy)
    return Configuration(generation: 1, trustAnchors: [anchor], profiles: [profile], roles: [role])
}()

private struct FixedRandom: RandomSource {
    func bytes(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 7) } }
}

/// Test-only keyring (bytes 7...38).
private let service = CreateSessionService(
    keyring: try! TokenKeyring(keys: [TokenKeyring.Key(id: "fuzz-cs", secret: Array(7..<39))]), random: FixedRandom())

private func signedRequest(x509: String, chain: String?) -> SignedRequest {
    let template = RolesAnywhereVector.requests[chain == nil ? 0 : 1]
    var headers: [(name: String, value: String)] = []
    for (name, value) in template.headers {
        switch name {
        case "X-Amz-X509": headers.append((name, x509))
        case "X-Amz-X509-Chain": headers.append((name, chain!))
        default: headers.append((name, value))
        }
    }
    return SignedRequest(
        method: template.method, rawPath: template.path, rawQuery: nil, headers: headers,
        body: Array(template.body.utf8), sourceAddress: "192.0.2.7")
}

/// Base64 decoding the plain way, one quantum and one character at a time, for ``Base64/decode(_:)`` to agree with:
/// `=` only in the last quantum's last two places, nothing after it, every other character in the alphabet.
private func referenceBase64Decode(_ text: String) -> [UInt8]? {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    let input = Array(text.utf8)
    guard input.count % 4 == 0 else { return nil }
    var out: [UInt8] = []
    for start in stride(from: 0, to: input.count, by: 4) {
        let isLast = start + 4 == input.count
        var values: [UInt32] = []
        var padding = 0
        for j in 0..<4 {
            let c = input[start + j]
            if c == UInt8(ascii: "=") {
                guard isLast, j >= 2 else { return nil }
                padding += 1
                values.append(0)
            } else {
                guard padding == 0, let v = alphabet.firstIndex(of: c) else { return nil }
                values.append(UInt32(v))
            }
        }
        let n = values[0] << 18 | values[1] << 12 | values[2] << 6 | values[3]
        out.append(UInt8(n >> 16 & 0xFF))
        if padding < 2 { out.append(UInt8(n >> 8 & 0xFF)) }
        if padding < 1 { out.append(UInt8(n & 0xFF)) }
    }
    return out
}

/// Every check on one header value (or one element of the chain header); the certificate when it parses.
private func certificate(fromHeader text: String) -> Certificate? {
    let strict = Base64.decode(text)
    fuzzCheck(strict == referenceBase64Decode(text), "Base64.decode and the reference disagree on \(text.prefix(64))")
    guard let der = strict, let certificate = try? Certificate(derBytes: der) else {
        fuzzCheck(
            strict == nil || (try? service.certificates.certificate(base64: text)) == nil,
            "cache parses what Certificate refuses")
        if let der = strict {
            fuzzCheck(
                (try? Certificate(derBytes: der, digest: CertificateDigest(sha256Of: der), fastPath: false)) == nil,
                "d2i_X509 parses what X509Decoder refuses")
        }
        return nil
    }
    checkSameAsD2I(certificate)
    fuzzCheck(certificate.derBytes == der, "DER not kept exactly")
    fuzzCheck(
        (try? Certificate(derBytes: der))?.sha256Fingerprint == certificate.sha256Fingerprint, "fingerprint not stable")
    fuzzCheck((try? Certificate(derBytes: der + [0])) == nil, "a certificate with a trailing byte parsed")
    fuzzCheck((try? service.certificates.certificate(base64: text))?.derBytes == der, "cache returned other DER")
    let decimal = certificate.serialNumberDecimal
    fuzzCheck(
        !decimal.isEmpty && decimal.hasPrefix("-") == (certificate.serialNumberIsNegative && decimal != "0"),
        "serial \(decimal) sign does not match negativity \(certificate.serialNumberIsNegative)")
    fuzzCheck(CreateSessionService.sameDecimal(decimal, decimal), "serial does not equal itself")
    fuzzCheck(certificate.serialNumberHex.utf8.count % 2 == 0, "odd-length serial hex")
    // What CreateSession derives from a certificate.
    let identity = CertificateIdentity(certificate)
    _ = PrincipalTags.derive(from: identity, mappings: nil)
    _ = PrincipalTags.derive(
        from: identity, mappings: [AttributeMapping(certificateField: .x509SAN, specifiers: ["DNS", "URI", "Name/*"])])
    _ = SourceIdentity.derive(from: identity)
    _ = try? LeafPolicy.check(certificate, now: now)
    _ = certificate.subjectString + certificate.issuerString + (certificate.signatureDigestName ?? "")
    _ = (try? certificate.publicKey)?.kind
    return certificate
}

/// X509Decoder's keyless parse, with the key built from its fields, gives what `d2i_X509` gives.
private func checkSameAsD2I(_ certificate: Certificate) {
    guard let plain = try? Certificate(derBytes: certificate.derBytes, digest: certificate.digest, fastPath: false)
    else {
        fuzzCheck(false, "X509Decoder parses what d2i_X509 refuses")
        return
    }
    fuzzCheck(
        plain.subjectString == certificate.subjectString && plain.issuerString == certificate.issuerString
            && plain.serialNumberDecimal == certificate.serialNumberDecimal && plain.notAfter == certificate.notAfter
            && plain.isCA == certificate.isCA,
        "X509Decoder and d2i_X509 read different fields")
    let fastKey = try? certificate.publicKey
    let plainKey = try? plain.publicKey
    fuzzCheck(
        fastKey?.subjectPublicKeyInfoDER == plainKey?.subjectPublicKeyInfoDER && fastKey?.kind == plainKey?.kind,
        "X509Decoder and d2i_X509 give different keys (built from fields: \(certificate.keyBuiltFromFields))")
}

private func checkPath(_ result: PathResult, leaf: Certificate, anchors: [Certificate]) {
    guard case .trusted(let path) = result else { return }
    fuzzCheck(path.first?.isSame(as: leaf) == true, "path does not start at the leaf")
    fuzzCheck(anchors.contains { path.last?.isSame(as: $0) == true }, "path does not end at an anchor")
    for index in path.indices.dropLast() {
        fuzzCheck(
            path[index].isSignatureValid(issuedBy: path[index + 1]), "path link \(index) is not signed by the next")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let lines = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
    let x509 = String(lines[0])
    let chainText = lines.count > 1 ? String(lines[1]) : nil

    let leaf = certificate(fromHeader: x509.trimmingSpacesAndTabs())
    var chain: [Certificate] = []
    for part in (chainText ?? "").split(separator: ",", omittingEmptySubsequences: true).prefix(5) {
        if let certificate = certificate(fromHeader: String(part).trimmingSpacesAndTabs()) {
            chain.append(certificate)
        }
    }
    if let leaf {
        let store = configuration.trustAnchors[anchorArn]!.trustStore
        checkPath(store.buildPath(leaf: leaf, untrusted: chain, at: now), leaf: leaf, anchors: [root, intermediate])
        // The input's last chain certificate as an anchor of its own (exercises in-process chains).
        if let last = chain.last, let own = try? TrustStore(anchors: [last], revocationLists: []) {
            let time = max(leaf.notBefore, last.notBefore) + 1
            checkPath(
                own.buildPath(leaf: leaf, untrusted: Array(chain.dropLast()), at: time), leaf: leaf, anchors: [last])
        }
    }

    let request = signedRequest(x509: x509, chain: chainText)
    let outcome = service.createSession(request, configuration: configuration, now: now)
    if case .issued = outcome.result {
        let template = RolesAnywhereVector.requests[chainText == nil ? 0 : 1]
        let signedX509 = template.headers.first { $0.name == "X-Amz-X509" }!.value
        let signedChain = template.headers.first { $0.name == "X-Amz-X509-Chain" }?.value
        fuzzCheck(
            x509 == signedX509 && chainText == signedChain, "credentials issued for certificate headers nobody signed")
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    // The unmodified vector requests must be issued, or the target tests nothing past the signature.
    for (index, template) in RolesAnywhereVector.requests.enumerated() {
        let chain = template.headers.first { $0.name == "X-Amz-X509-Chain" }?.value
        let request = signedRequest(x509: RolesAnywhereVector.leafBase64, chain: chain)
        let outcome = service.createSession(request, configuration: configuration, now: now)
        guard case .issued = outcome.result else {
            fuzzCheck(false, "vector request \(index) is not issued: \(outcome.result) \(outcome.detail)")
            return 0
        }
    }
    fuzzWriteSeedsIfAsked(writeSeeds)
    return 0
}

/// Vector headers, and chains made here with fresh keys (the keys are never written anywhere).
private func writeSeeds(_ directory: String) {
    fuzzWriteSeed(directory, "vector-leaf", Array(RolesAnywhereVector.leafBase64.utf8))
    fuzzWriteSeed(
        directory, "vector-leaf-chain",
        Array((RolesAnywhereVector.leafBase64 + "\n" + RolesAnywhereVector.intermediateBase64).utf8))
    fuzzWriteSeed(
        directory, "vector-leaf-full-chain",
        Array(
            (RolesAnywhereVector.leafBase64 + "\n" + RolesAnywhereVector.intermediateBase64 + ", "
                + RolesAnywhereVector.rootBase64).utf8))
    do {
        let start = now - 86_400
        let rootKey = try PrivateKey.generate(.ecP256)
        var rootBuilder = CertificateBuilder(
            subject: [("C", "US"), ("O", "Anchorage Fuzz"), ("CN", "Fuzz Root")], notBefore: start,
            notAfter: start + 10 * 86_400)
        rootBuilder.isCA = true
        rootBuilder.keyUsage = "keyCertSign,cRLSign"
        let rootCertificate = try rootBuilder.issue(for: rootKey, issuer: nil, issuerKey: rootKey)
        let intermediateKey = try PrivateKey.generate(.ecP384)
        var intermediateBuilder = CertificateBuilder(
            subject: [("O", "Anchorage Fuzz"), ("OU", "Eng"), ("CN", "Fuzz Intermediate")], notBefore: start,
            notAfter: start + 5 * 86_400)
        intermediateBuilder.isCA = true
        intermediateBuilder.pathLength = 0
        intermediateBuilder.keyUsage = "keyCertSign"
        let intermediate = try intermediateBuilder.issue(
            for: intermediateKey, issuer: rootCertificate, issuerKey: rootKey)
        let leafKey = try PrivateKey.generate(.ecP256)
        var leafBuilder = CertificateBuilder(
            subject: [("CN", "w\u{e9}rkload"), ("OU", "web"), ("OU", "ops"), ("emailAddress", "a@example.com")],
            notBefore: start, notAfter: start + 2 * 86_400)
        leafBuilder.keyUsage = "digitalSignature"
        leafBuilder.subjectAlternativeName = "DNS:workload.example,URI:spiffe://example/w,IP:192.0.2.7,dirName:fuzz_dir"
        leafBuilder.serialNumber = [0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01]
        let leafCertificate: Certificate
        do {
            leafCertificate = try leafBuilder.issue(for: leafKey, issuer: intermediate, issuerKey: intermediateKey)
        } catch {
            leafBuilder.subjectAlternativeName = "DNS:workload.example,URI:spiffe://example/w,IP:192.0.2.7"
            leafCertificate = try leafBuilder.issue(for: leafKey, issuer: intermediate, issuerKey: intermediateKey)
        }
        let b64 = { (certificate: Certificate) in Base64.encode(certificate.derBytes) }
        fuzzWriteSeed(
            directory, "made-ec-chain",
            Array((b64(leafCertificate) + "\n" + b64(intermediate) + "," + b64(rootCertificate)).utf8))
        fuzzWriteSeed(directory, "made-ec-ca", Array((b64(intermediate) + "\n" + b64(rootCertificate)).utf8))
    } catch {
        fuzzCheck(false, "cannot make the in-process chain: \(error)")
    }
}
