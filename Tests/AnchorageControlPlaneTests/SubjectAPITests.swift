import AnchorageConfigFixtures
import AnchorageControlPlane
import AnchorageCore
import AnchorageTestSupport
import Foundation
import Testing

@Suite struct SubjectAPITests {
    let leafBase64 = Data(TestPKI.shared.webLeaf.derBytes).base64EncodedString()
    static let subjectArn = "arn:aws:rolesanywhere:us-east-1:123456789012:subject/5b0e1c52-0f4e-8d6b-9a55-0e6f4c3b9d21"

    @Test func subjectsAreRecordedListedAndSurviveARestart() throws {
        let directory = TemporaryDirectory()
        let path = directory.url("subjects.json")
        let harness = try ControlPlaneHarness(subjectsPath: path)
        harness.subjects.record(
            subjectArn: Self.subjectArn, subject: "CN=web,OU=web", serialHex: "0123", issuer: "CN=ca",
            certificateBase64: leafBase64, now: testNow)
        harness.subjects.record(
            subjectArn: Self.subjectArn, subject: "CN=web,OU=web", serialHex: "0123", issuer: "CN=ca",
            certificateBase64: leafBase64, now: testNow + 60)
        harness.subjects.record(
            subjectArn: "arn:aws:rolesanywhere:us-east-1:999999999999:subject/x", subject: "CN=other",
            serialHex: "09", issuer: "CN=ca", certificateBase64: nil, now: testNow)

        let listed = try harness.call("GET", "/subjects")
        let subjects = listed["subjects"]?.arrayValue ?? []
        #expect(subjects.count == 1)
        let id = try #require(subjects.first?["subjectId"]?.stringValue)
        #expect(subjects.first?["subjectArn"] == .string(Self.subjectArn))
        #expect(subjects.first?["x509Subject"] == .string("CN=web,OU=web"))
        #expect(subjects.first?["lastSeenAt"] == .string(UTCTimestamp.iso8601(testNow + 60)))
        #expect(subjects.first?["createdAt"] == .string(UTCTimestamp.iso8601(testNow)))

        let detail = try harness.call("GET", "/subject/\(id)")["subject"]
        let credentials = detail?["credentials"]?.arrayValue ?? []
        #expect(credentials.count == 1)
        #expect(credentials.first?["serialNumber"] == .string("0123"))
        let pem = try #require(credentials.first?["x509CertificateData"]?.stringValue)
        #expect(pem.hasPrefix("-----BEGIN CERTIFICATE-----\n"))

        try harness.subjects.flush()
        let restarted = SubjectStore(path: path)
        #expect(restarted.subjects(account: "123456789012", region: "us-east-1").first?.credentials.count == 1)
        #expect(restarted.subjects(account: "999999999999", region: "us-east-1").count == 1)
        #expect(try harness.call("GET", "/subject/00000000-0000-4000-8000-000000000000").status == 404)
    }

    @Test func aSubjectKeepsOnlyItsMostRecentCertificates() {
        let store = SubjectStore(path: nil)
        for serial in 0..<(SubjectStore.maximumCredentialsPerSubject + 3) {
            store.record(
                subjectArn: Self.subjectArn, subject: "CN=rotating", serialHex: String(serial), issuer: "CN=ca",
                certificateBase64: nil, now: testNow + Int64(serial))
        }
        let credentials = store.subjects(account: "123456789012", region: "us-east-1").first?.credentials ?? []
        #expect(credentials.count == SubjectStore.maximumCredentialsPerSubject)
        #expect(
            credentials.map(\.serialNumber) == (3..<(SubjectStore.maximumCredentialsPerSubject + 3)).map(String.init))
    }
}
