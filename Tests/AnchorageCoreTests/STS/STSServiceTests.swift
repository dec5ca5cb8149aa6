import AnchorageCore
import AnchorageCrypto
import Testing

/// GetCallerIdentity / GetSessionContext decisions and the error mapping, without sockets.
@Suite struct STSServiceTests {
    static let now = STSTestSession.issuedAt + 60

    static func configuration(revocations: [Revocation] = [], bindSourceIp: Bool = false) -> Configuration {
        var profile = Profile(
            name: "web", arn: ARN(STSTestSession.profileArn)!, enabled: true, roleArns: [STSTestSession.roleArn])
        profile.bindSourceIp = bindSourceIp
        var configuration = Configuration(generation: 1, trustAnchors: [], profiles: [profile], roles: [])
        configuration.revocations = RevocationList(revocations)
        return configuration
    }

    static func decide(
        _ request: SignedRequest, _ session: STSTestSession, configuration: Configuration = configuration(),
        now: Int64 = now
    ) -> STSOutcome {
        STSService(keyring: session.keyring).handle(request, configuration: configuration, now: now)
    }

    static func failure(_ outcome: STSOutcome) -> STSFailure? {
        if case .failure(let failure) = outcome.result { return failure }
        return nil
    }

    // MARK: - Token → identity

    @Test func callerIdentityFromTheToken() throws {
        let session = STSTestSession()
        let outcome = Self.decide(STSTestSigner.post(session.credentials, at: Self.now), session)
        let identity = try outcome.result.get()
        #expect(identity.arn == "arn:aws:sts::123456789012:assumed-role/web-reader/web-1")
        #expect(identity.account == "123456789012")
        let roleId = Role(
            arn: ARN(STSTestSession.roleArn)!, maxSessionDuration: 3600,
            trustPolicy: try PolicyDocument(
                json: try JSONParser.parse(#"{"Version":"2012-10-17","Statement":[]}"#), path: "$")
        ).roleId
        #expect(identity.userId == "\(roleId):web-1")
        #expect(outcome.action == .getCallerIdentity)
        #expect(outcome.session?.accessKeyId == session.claims.accessKeyId)
        #expect(!outcome.presigned)
    }

    @Test func callerIdentityXMLHasTheSTSShape() throws {
        let session = STSTestSession()
        let outcome = Self.decide(STSTestSigner.post(session.credentials, at: Self.now), session)
        let body = STSResponse.success(
            .getCallerIdentity, identity: try outcome.result.get(), session: try #require(outcome.session),
            requestId: "req-1", json: false)
        #expect(body.contentType == "text/xml")
        let xml = String(decoding: body.bytes, as: UTF8.self)
        #expect(xml.hasPrefix(#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">"#))
        #expect(xml.contains("<GetCallerIdentityResult>"))
        #expect(xml.contains("<Arn>arn:aws:sts::123456789012:assumed-role/web-reader/web-1</Arn>"))
        #expect(xml.contains("<Account>123456789012</Account>"))
        #expect(xml.contains("<ResponseMetadata>\n    <RequestId>req-1</RequestId>"))
        #expect(!xml.contains(session.claims.secretAccessKey))
    }

    @Test func sessionContextCarriesEverythingButTheSecret() throws {
        let session = STSTestSession()
        let body = Array("Action=GetSessionContext&Version=2011-06-15".utf8)
        let outcome = Self.decide(STSTestSigner.post(session.credentials, at: Self.now, body: body), session)
        #expect(outcome.action == .getSessionContext)
        let xml = String(
            decoding: STSResponse.success(
                .getSessionContext, identity: try outcome.result.get(), session: try #require(outcome.session),
                requestId: "r", json: false
            ).bytes, as: UTF8.self)
        for fragment in [
            "<GetSessionContextResponse", "<RoleArn>\(STSTestSession.roleArn)</RoleArn>",
            "<RoleSessionName>web-1</RoleSessionName>", "<SourceIdentity>CN=web-1</SourceIdentity>",
            "<member>\n        <Key>x509Subject/OU</Key>\n        <Value>web</Value>",
            "<Value>a&lt;b&amp;c</Value>", "<TrustAnchorArn>\(STSTestSession.anchorArn)</TrustAnchorArn>",
            "<ProfileArn>\(STSTestSession.profileArn)</ProfileArn>",
            "<SerialNumber>\(STSTestSession.serialHex)</SerialNumber>",
            "<Sha256Fingerprint>\(STSTestSession.sha256)</Sha256Fingerprint>", "<Subject>CN=web-1,OU=web</Subject>",
            "<IssuedAt>2026-11-25T03:04:05Z</IssuedAt>", "<Expiration>2026-11-25T04:04:05Z</Expiration>",
            "<AccessKeyId>ASIAABCDEFGHIJKLMNOP</AccessKeyId>",
        ] {
            #expect(xml.contains(fragment), "\(fragment)\n\(xml)")
        }
        #expect(!xml.contains(session.claims.secretAccessKey))
        #expect(!xml.contains(try #require(session.credentials.sessionToken)))

        let json = String(
            decoding: STSResponse.success(
                .getSessionContext, identity: try outcome.result.get(), session: try #require(outcome.session),
                requestId: "r", json: true
            ).bytes, as: UTF8.self)
        let parsed = try JSONParser.parse(json)
        let result = parsed["GetSessionContextResponse"]?["GetSessionContextResult"]
        #expect(result?["RoleSessionName"]?.stringValue == "web-1")
        #expect(result?["Certificate"]?["SerialNumber"]?.stringValue == STSTestSession.serialHex)
    }

    @Test func presignedGetVerifies() throws {
        let session = STSTestSession()
        let outcome = Self.decide(STSTestSigner.presignedGet(session.credentials, at: Self.now), session)
        #expect(try outcome.result.get().arn.hasSuffix("assumed-role/web-reader/web-1"))
        #expect(outcome.presigned)
    }

    // MARK: - Error mapping

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var code: STSError.Code
        var reason: STSFailure.Reason
        var testDescription: String { name }
    }

    @Test func errorCodesHaveSTSStatuses() {
        #expect(STSError(.invalidClientTokenId).status == 403)
        #expect(STSError(.expiredToken).status == 400)
        #expect(STSError(.signatureDoesNotMatch).status == 403)
        #expect(STSError(.incompleteSignature).status == 400)
        #expect(STSError(.missingAuthenticationToken).status == 403)
        #expect(STSError(.accessDenied).status == 403)
        #expect(STSError(.invalidAction).status == 400)
        #expect(STSError(.internalFailure).type == "Receiver")
        #expect(STSError(.expiredToken).message == "The security token included in the request is expired")
    }

    func expect(
        _ outcome: STSOutcome, _ code: STSError.Code, _ reason: STSFailure.Reason,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let failure = Self.failure(outcome)
        #expect(failure?.error.code == code, "\(String(describing: failure))", sourceLocation: sourceLocation)
        #expect(failure?.reason == reason, "\(String(describing: failure))", sourceLocation: sourceLocation)
    }

    @Test func expiredSession() {
        let session = STSTestSession(duration: 900)
        let late = STSTestSession.issuedAt + 901
        let outcome = Self.decide(STSTestSigner.post(session.credentials, at: late), session, now: late)
        expect(outcome, .expiredToken, .expiredToken)
        // The session facts still reach the audit log.
        #expect(outcome.session?.accessKeyId == session.claims.accessKeyId)
    }

    @Test func tamperedToken() throws {
        let session = STSTestSession()
        var credentials = session.credentials
        var token = Array(try #require(credentials.sessionToken).utf8)
        token[40] = token[40] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        credentials.sessionToken = String(decoding: token, as: UTF8.self)
        expect(
            Self.decide(STSTestSigner.post(credentials, at: Self.now), session), .invalidClientTokenId, .invalidToken)
    }

    @Test func tokenFromAnotherKeyring() {
        let session = STSTestSession()
        let other = STSTestSession()
        expect(
            STSService(keyring: other.keyring).handle(
                STSTestSigner.post(session.credentials, at: Self.now), configuration: Self.configuration(),
                now: Self.now), .invalidClientTokenId, .invalidToken)
    }

    @Test func sharedKeyringAcceptsOtherReplicasTokens() throws {
        let shared = TokenKeyring.generate(id: "k-shared", random: SystemRandomSource())
        let session = STSTestSession(keyring: shared)
        let replica = STSService(keyring: try TokenKeyring(keys: shared.keys))
        let outcome = replica.handle(
            STSTestSigner.post(session.credentials, at: Self.now), configuration: Self.configuration(), now: Self.now)
        #expect((try? outcome.result.get()) != nil)
    }

    @Test func wrongSecret() {
        let session = STSTestSession()
        var credentials = session.credentials
        credentials.secretAccessKey = "x" + credentials.secretAccessKey.dropFirst()
        expect(
            Self.decide(STSTestSigner.post(credentials, at: Self.now), session), .signatureDoesNotMatch,
            .signatureMismatch)
    }

    @Test func accessKeyOfAnotherSession() {
        let session = STSTestSession()
        var credentials = session.credentials
        credentials.accessKeyId = "ASIAZZZZZZZZZZZZZZZZ"
        expect(
            Self.decide(STSTestSigner.post(credentials, at: Self.now), session), .invalidClientTokenId,
            .accessKeyMismatch)
    }

    @Test func missingToken() {
        let session = STSTestSession()
        var credentials = session.credentials
        credentials.sessionToken = nil
        expect(
            Self.decide(STSTestSigner.post(credentials, at: Self.now), session), .invalidClientTokenId,
            .missingSecurityToken)
    }

    @Test func unsignedRequest() {
        let session = STSTestSession()
        var request = STSTestSigner.post(session.credentials, at: Self.now)
        request.headers.removeAll { $0.name == "Authorization" }
        expect(Self.decide(request, session), .missingAuthenticationToken, .missingAuthentication)
    }

    @Test func malformedAuthorization() {
        let session = STSTestSession()
        var request = STSTestSigner.post(session.credentials, at: Self.now)
        let index = request.headers.firstIndex { $0.name == "Authorization" }!
        request.headers[index].value = request.headers[index].value.replacingOccurrences(
            of: "SignedHeaders=", with: "Signed=")
        expect(Self.decide(request, session), .incompleteSignature, .malformedAuthorization)
    }

    @Test func clockWindowIsFifteenMinutes() {
        let session = STSTestSession()
        let signedAt = Self.now
        // 15 minutes either way is accepted.
        #expect(
            (try? Self.decide(STSTestSigner.post(session.credentials, at: signedAt), session, now: signedAt + 900)
                .result.get()) != nil)
        #expect(
            (try? Self.decide(STSTestSigner.post(session.credentials, at: signedAt), session, now: signedAt - 900)
                .result.get()) != nil)
        let old = Self.decide(STSTestSigner.post(session.credentials, at: signedAt), session, now: signedAt + 901)
        expect(old, .signatureDoesNotMatch, .signatureExpired)
        #expect(
            Self.failure(old)?.error.message.hasPrefix("Signature expired: 20261125T030505Z is now earlier than")
                == true)
        let future = Self.decide(STSTestSigner.post(session.credentials, at: signedAt), session, now: signedAt - 901)
        expect(future, .signatureDoesNotMatch, .signatureNotYetCurrent)
    }

    @Test func presignedExpiry() {
        let session = STSTestSession()
        let request = STSTestSigner.presignedGet(session.credentials, at: Self.now, expires: 60)
        #expect((try? Self.decide(request, session, now: Self.now + 60).result.get()) != nil)
        expect(Self.decide(request, session, now: Self.now + 61), .signatureDoesNotMatch, .signatureExpired)
    }

    @Test func presignedExpiresAboveAWeekIsRefused() {
        let session = STSTestSession()
        let request = STSTestSigner.presignedGet(session.credentials, at: Self.now, expires: 604_801)
        expect(Self.decide(request, session), .incompleteSignature, .malformedAuthorization)
        let week = STSTestSigner.presignedGet(session.credentials, at: Self.now, expires: 604_800)
        #expect((try? Self.decide(week, session).result.get()) != nil)
    }

    @Test func scopeMustNameSTS() {
        let session = STSTestSession()
        expect(
            Self.decide(STSTestSigner.post(session.credentials, at: Self.now, service: "s3"), session),
            .signatureDoesNotMatch, .credentialScopeMismatch)
    }

    @Test func anyRegionIsAccepted() {
        let session = STSTestSession()
        #expect(
            (try? Self.decide(STSTestSigner.post(session.credentials, at: Self.now, region: "eu-west-1"), session)
                .result.get()) != nil)
    }

    @Test func declaredPayloadHashMustBeTheBodys() {
        let session = STSTestSession()
        let request = STSTestSigner.post(
            session.credentials, at: Self.now, extraHeaders: [("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")])
        expect(Self.decide(request, session), .signatureDoesNotMatch, .payloadHashMismatch)
        let honest = STSTestSigner.post(
            session.credentials, at: Self.now,
            extraHeaders: [("X-Amz-Content-Sha256", Digest.sha256Hex(STSTestSigner.formBody))])
        #expect((try? Self.decide(honest, session).result.get()) != nil)
    }

    @Test(arguments: [
        "Action=AssumeRole&Version=2011-06-15", "Version=2011-06-15", "Action=GetCallerIdentity&Version=2099-01-01",
    ])
    func unknownActions(_ body: String) {
        let session = STSTestSession()
        let outcome = Self.decide(
            STSTestSigner.post(session.credentials, at: Self.now, body: Array(body.utf8)), session)
        expect(outcome, .invalidAction, .invalidAction)
    }

    @Test func unknownActionsNeedAValidSignatureFirst() {
        let session = STSTestSession()
        var credentials = session.credentials
        credentials.secretAccessKey = "wrong"
        let outcome = Self.decide(
            STSTestSigner.post(credentials, at: Self.now, body: Array("Action=AssumeRole".utf8)), session)
        expect(outcome, .signatureDoesNotMatch, .signatureMismatch)
        #expect(outcome.operation == "UnknownAction")
        #expect(outcome.requestedAction == "AssumeRole")
    }

    @Test func errorBodyHasTheQueryProtocolShape() {
        let xml = String(
            decoding: STSResponse.error(STSError(.expiredToken), requestId: "abc", json: false).bytes, as: UTF8.self)
        #expect(
            xml == """
                <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
                  <Error>
                    <Type>Sender</Type>
                    <Code>ExpiredToken</Code>
                    <Message>The security token included in the request is expired</Message>
                  </Error>
                  <RequestId>abc</RequestId>
                </ErrorResponse>

                """)
    }

    // MARK: - Revocation and binding

    static func revocation(_ selector: Revocation.Selector) -> Revocation {
        Revocation(id: "r-1", selector: selector, revokedAt: STSTestSession.issuedAt + 30)
    }

    @Test(arguments: [
        Revocation.Selector.certificateSerial("7a713c92516c21ade3a75f4321420b02", trustAnchorArn: nil),
        .certificateSerial("7a713c92516c21ade3a75f4321420b02", trustAnchorArn: STSTestSession.anchorArn),
        .certificateSHA256(STSTestSession.sha256),
        .accessKey("ASIAABCDEFGHIJKLMNOP"),
        .trustAnchor(STSTestSession.anchorArn, issuedBefore: STSTestSession.issuedAt + 1),
        .role(STSTestSession.roleArn, issuedBefore: STSTestSession.issuedAt + 1),
    ])
    func revokedSessionsFail(_ selector: Revocation.Selector) {
        let session = STSTestSession()
        let outcome = Self.decide(
            STSTestSigner.post(session.credentials, at: Self.now), session,
            configuration: Self.configuration(revocations: [Self.revocation(selector)]))
        expect(outcome, .invalidClientTokenId, .revoked)
    }

    @Test(arguments: [
        Revocation.Selector.certificateSerial("7a713c92516c21ade3a75f4321420b03", trustAnchorArn: nil),
        .certificateSerial(
            "7a713c92516c21ade3a75f4321420b02",
            trustAnchorArn: "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/other"),
        .accessKey("ASIAZZZZZZZZZZZZZZZZ"),
        .trustAnchor(STSTestSession.anchorArn, issuedBefore: STSTestSession.issuedAt),
        .role(STSTestSession.roleArn, issuedBefore: STSTestSession.issuedAt),
        .role("arn:aws:iam::123456789012:role/other", issuedBefore: STSTestSession.issuedAt + 1),
    ])
    func otherRevocationsDoNotReachTheSession(_ selector: Revocation.Selector) {
        let session = STSTestSession()
        let outcome = Self.decide(
            STSTestSigner.post(session.credentials, at: Self.now), session,
            configuration: Self.configuration(revocations: [Self.revocation(selector)]))
        #expect((try? outcome.result.get()) != nil)
    }

    @Test func sourceAddressBinding() {
        let session = STSTestSession()
        let bound = Self.configuration(bindSourceIp: true)
        #expect(
            (try? Self.decide(STSTestSigner.post(session.credentials, at: Self.now), session, configuration: bound)
                .result.get()) != nil)
        let elsewhere = STSTestSigner.post(session.credentials, at: Self.now, sourceAddress: "192.0.2.9")
        expect(Self.decide(elsewhere, session, configuration: bound), .accessDenied, .sourceAddressMismatch)
        // Without the profile flag the address does not matter.
        #expect((try? Self.decide(elsewhere, session).result.get()) != nil)
    }
}
