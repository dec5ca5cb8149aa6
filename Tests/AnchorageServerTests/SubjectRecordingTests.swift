import AnchorageConfigFixtures
import AnchorageControlPlane
import AnchorageCore
import AnchorageServer
import Foundation
import Testing

@Suite struct SubjectRecordingTests {
    @Test func anIssuedSessionRecordsItsCertificateUnderTheSubjectArnItAnswered() throws {
        let subjects = SubjectStore(path: nil)
        let fixture = try ServiceFixture(subjects: subjects)
        let pki = fixture.configuration.pki
        let response = fixture.service.handle(try RequestSigner.signedCreateSession(leaf: pki.webLeaf, key: pki.webKey))
        #expect(response.status == 201)
        let subjectArn = try #require(try response.json()["subjectArn"]?.stringValue)

        let recorded = subjects.subjects(account: "123456789012", region: "us-east-1")
        #expect(recorded.count == 1)
        #expect(recorded.first?.arn == subjectArn)
        #expect(recorded.first?.x509Subject == pki.webLeaf.subjectString)
        #expect(recorded.first?.lastSeenAt == testNow)
        let credential = try #require(recorded.first?.credentials.first)
        #expect(credential.serialNumber == pki.webLeaf.serialNumberHex)
        #expect(credential.issuer == pki.ca.subjectString)
        #expect(credential.x509CertificateData == pki.webLeaf.pemString)
    }

    @Test func aRefusedRequestIsNotASubject() throws {
        let subjects = SubjectStore(path: nil)
        let fixture = try ServiceFixture(subjects: subjects)
        let pki = fixture.configuration.pki
        let response = fixture.service.handle(try RequestSigner.signedCreateSession(leaf: pki.dbLeaf, key: pki.dbKey))
        #expect(response.status == 403)
        #expect(subjects.subjects(account: "123456789012", region: "us-east-1").isEmpty)
    }
}
