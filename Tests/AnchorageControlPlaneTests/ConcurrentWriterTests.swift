import AnchorageAdmin
import AnchorageConfig
import AnchorageConfigFixtures
import AnchorageCore
import AnchorageLocking
import Foundation
import Testing

/// The API and the `anchorage profile` CLI (its in-process entry point, the code the binary runs) write one
/// profile at the same time, each on a thread of its own: both hold the configuration lock from read to write, so
/// neither loses the other's update and no reader ever sees a torn file.
@Suite struct ConcurrentWriterTests {
    @Test func theAPIAndTheCLIRacingOnOneProfileLoseNoUpdate() throws {
        let harness = try ControlPlaneHarness()
        let tagCount = 24
        let toggles = 12
        let done = DispatchSemaphore(value: 0)
        let start = DispatchSemaphore(value: 0)
        let api = Thread {
            start.wait()
            for index in 0..<tagCount {
                let answer = try? harness.call(
                    "POST", "/TagResource",
                    .object([
                        "resourceArn": .string(profileArn),
                        "tags": .array([.object(["key": .string("k\(index)"), "value": .string("v")])]),
                    ]))
                #expect(answer?.status == 201)
            }
            done.signal()
        }
        let cli = Thread {
            start.wait()
            let silent = AdminConsole(standardOutput: { _ in }, standardError: { _ in })
            for index in 0..<toggles {
                let status = AdminCommand.run(
                    "profile",
                    [
                        index % 2 == 0 ? "disable" : "enable", "web", "--pki", harness.fixture.pkiDirectory,
                        "--profiles", harness.fixture.profilesDirectory,
                    ], console: silent)
                #expect(status == 0)
            }
            done.signal()
        }
        api.start()
        cli.start()
        start.signal()
        start.signal()
        // A reader during the race: every read is a whole document.
        var finished = 0
        while finished < 2 {
            if done.wait(timeout: .now() + .milliseconds(5)) == .success {
                finished += 1
                continue
            }
            let bytes =
                FileManager.default.contents(atPath: harness.fixture.url("Profiles/web.json")).map { [UInt8]($0) } ?? []
            #expect((try? JSONParser.parse(bytes)) != nil)
        }
        let document = try harness.readJSON("Profiles/web.json")
        #expect(document["tags"]?.arrayValue.count == tagCount)
        #expect(document["enabled"] == .bool(true))
        #expect(try harness.load().profiles[profileArn]?.enabled == true)
    }
}

/// What the API writes, the `anchorage crl` commands read and remove the same way.
@Suite struct CLIConsistencyTests {
    @Test func theCRLCommandsSeeAndRemoveADisabledCRLWithItsSidecar() throws {
        let harness = try ControlPlaneHarness()
        let pki = harness.fixture.pki
        let imported = try harness.call(
            "POST", "/crls",
            .object([
                "name": .string("api crl"),
                "crlData": .string(Data(try DER.crl(issuer: pki.ca, signingKey: pki.caKey)).base64EncodedString()),
                "trustAnchorArn": .string(anchorArn),
            ]))
        #expect(imported["crl"]?["enabled"] == .bool(false))
        let out = Locked("")
        let console = AdminConsole(standardOutput: { text in out.withLock { $0 += text } }, standardError: { _ in })
        let common = ["--pki", harness.fixture.pkiDirectory, "--profiles", harness.fixture.profilesDirectory]
        #expect(AdminCommand.run("crl", ["list", "--json"] + common, console: console) == 0)
        let listed = try JSONParser.parse(out.withLock { $0 }).arrayValue
        #expect(listed.count == 1)
        #expect(listed.first?["name"] == .string("api-crl"))
        #expect(listed.first?["enabled"] == .bool(false))

        #expect(AdminCommand.run("crl", ["remove", "main", "api-crl"] + common, console: console) == 0)
        let directory = harness.fixture.url("PKI/trust-anchors/main/crls")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
        #expect(try harness.call("GET", "/crls")["crls"] == .array([]))
        _ = try harness.load()
    }
}
