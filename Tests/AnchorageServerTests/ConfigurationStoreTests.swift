import AnchorageConfig
import AnchorageConfigFixtures
import AnchorageCore
import AnchorageServer
import Foundation
import Testing

@Suite struct ConfigurationStoreTests {
    @Test func firstGenerationIsOne() throws {
        let fixture = try ConfigFixture()
        let store = try ConfigurationStore(loader: fixture.loader)
        #expect(store.current.generation == 1)
        #expect(store.lastReload.succeeded)
        #expect(store.lastReload.error == nil)
    }

    @Test func brokenConfigurationRefusesToStart() throws {
        let fixture = try ConfigFixture()
        try fixture.write(ConfigFixture.mainAnchor, "{")
        #expect(throws: ConfigurationError.self) { try ConfigurationStore(loader: fixture.loader) }
    }

    @Test func failedReloadKeepsThePreviousGenerationAndReportsTheFile() throws {
        let fixture = try ConfigFixture()
        let store = try ConfigurationStore(loader: fixture.loader)
        try fixture.write(ConfigFixture.webProfile, ConfigFixture.profileJSON(durationSeconds: "899"))

        let error = #expect(throws: ConfigurationError.self) { try store.reload() }
        #expect(error?.issues.first?.file == fixture.url(ConfigFixture.webProfile))
        #expect(store.current.generation == 1)
        #expect(store.current.profiles[profileArn]?.durationSeconds == 1800)
        #expect(store.lastReload.succeeded == false)
        let text = try #require(store.lastReload.error)
        #expect(text.contains(fixture.url(ConfigFixture.webProfile)))
        #expect(text.contains("$.durationSeconds"))

        // The watcher does not re-report the same broken files.
        #expect(try store.reload(onlyIfChanged: true) == nil)
        #expect(store.lastReload.succeeded == false)

        // Fixing the files brings the next generation and clears the error.
        try fixture.writer.writeProfile(ConfigFixture.web(durationSeconds: 2700))
        #expect(try store.reload(onlyIfChanged: true) == 2)
        #expect(store.current.generation == 2)
        #expect(store.current.profiles[profileArn]?.durationSeconds == 2700)
        #expect(store.lastReload.succeeded)
        #expect(store.lastReload.error == nil)
    }

    @Test func goodChangeIncrementsTheGeneration() throws {
        let fixture = try ConfigFixture()
        let store = try ConfigurationStore(loader: fixture.loader)
        try fixture.writer.write(ConfigurationWriter.anchorFile(name: "second", arn: secondAnchorArn, enabled: true))
        #expect(try store.reload(onlyIfChanged: true) == 2)
        #expect(store.current.generation == 2)
        #expect(store.current.trustAnchors[secondAnchorArn]?.enabled == true)
        #expect(store.lastReload.succeeded)
        // An unconditional reload always builds a new generation.
        #expect(try store.reload() == 3)
        #expect(store.current.generation == 3)
    }

    @Test func reloadOnlyIfChangedDoesNothingWhenNothingChanged() throws {
        let fixture = try ConfigFixture()
        let store = try ConfigurationStore(loader: fixture.loader)
        #expect(try store.reload(onlyIfChanged: true) == nil)
        #expect(try store.reload(onlyIfChanged: true) == nil)
        #expect(store.current.generation == 1)
    }

    @Test func newFileCountsAsAChange() throws {
        let fixture = try ConfigFixture()
        let store = try ConfigurationStore(loader: fixture.loader)
        let crl = try DER.crl(issuer: fixture.pki.ca, signingKey: fixture.pki.caKey)
        try fixture.write("PKI/trust-anchors/main/crls/ca.pem", DER.pem(crl, label: "X509 CRL"))
        #expect(try store.reload(onlyIfChanged: true) == 2)
        #expect(store.current.trustAnchors[anchorArn]?.revocationLists.count == 1)
    }
}

@Suite("ConfigurationLoader.fingerprint, the file watch's change detector")
struct ConfigurationFingerprintTests {
    @Test func stableWhileNothingChanges() throws {
        let fixture = try ConfigFixture()
        #expect(fixture.loader.fingerprint() == fixture.loader.fingerprint())
        #expect(fixture.loader.fingerprint().count == 64)
    }

    @Test func anEditAnAdditionAndARemovalEachChangeIt() throws {
        let fixture = try ConfigFixture()
        var seen: Set<String> = [fixture.loader.fingerprint()]
        // Another size: two writes within one coarse clock tick can share a modification time.
        try fixture.writer.writeProfile(ConfigFixture.web(durationSeconds: 900))
        #expect(seen.insert(fixture.loader.fingerprint()).inserted, "an edit")
        try fixture.write("Profiles/roles/extra.json", "{}")
        #expect(seen.insert(fixture.loader.fingerprint()).inserted, "a new file in a subdirectory")
        try FileManager.default.removeItem(atPath: fixture.url("Profiles/roles/extra.json"))
        #expect(seen.insert(fixture.loader.fingerprint()).inserted, "a removal")
        try FileManager.default.createDirectory(
            atPath: fixture.url("PKI/trust-anchors/main/crls"), withIntermediateDirectories: true)
        #expect(seen.insert(fixture.loader.fingerprint()).inserted, "a new, empty directory")
    }

    @Test func anEditOfASymlinkedFilesTargetChangesIt() throws {
        let fixture = try ConfigFixture()
        let target = fixture.directory.url("elsewhere.json")
        try FileManager.default.moveItem(atPath: fixture.url(ConfigFixture.webProfile), toPath: target)
        try FileManager.default.createSymbolicLink(
            atPath: fixture.url(ConfigFixture.webProfile), withDestinationPath: target)
        let before = fixture.loader.fingerprint()
        try Data(ConfigFixture.profileJSON(durationSeconds: "900").utf8).write(to: URL(fileURLWithPath: target))
        #expect(fixture.loader.fingerprint() != before)
    }

    @Test func aSymlinkLoopIsWalkedOnce() throws {
        let fixture = try ConfigFixture()
        try FileManager.default.createSymbolicLink(
            atPath: fixture.url("Profiles/roles/loop"), withDestinationPath: fixture.profilesDirectory)
        let first = fixture.loader.fingerprint()
        #expect(first == fixture.loader.fingerprint())
    }
}

@Suite struct SharedRevocationsStoreTests {
    static let shared = Revocation(
        id: "r-shared", selector: .certificateSHA256(String(repeating: "ab", count: 32)), revokedAt: testNow)

    @Test("shared revocations are served beside the files' own and survive a reload; the file's entry wins")
    func mergedAcrossReloads() throws {
        let fixture = try ConfigFixture()
        let store = try ConfigurationStore(loader: fixture.loader)
        let before = try #require(store.setSharedRevocations([Self.shared]))
        #expect(before.isEmpty)
        #expect(store.current.revocations.entry(withID: "r-shared") == Self.shared)
        #expect(store.setSharedRevocations([Self.shared]) == nil, "no change, nothing to audit")

        // The files change: the shared entry stays in force.
        try fixture.write(ConfigFixture.webProfile, ConfigFixture.profileJSON(durationSeconds: "2400"))
        #expect(try store.reload() == 2)
        #expect(store.current.revocations.entry(withID: "r-shared") == Self.shared)

        // The same selector in the file: the file's entry is the one in force, once.
        let local = Revocation(id: "r-file", selector: Self.shared.selector, revokedAt: testNow + 1)
        try fixture.writer.writeRevocations(RevocationList([local]))
        #expect(try store.reload() == 3)
        #expect(store.current.revocations.entries.map(\.id) == ["r-file"])

        // Lifted in the shared state: only the files' revocations remain.
        #expect(store.setSharedRevocations([]) == nil, "the file still holds the selector: nothing changed in force")
        #expect(store.current.revocations.entries.map(\.id) == ["r-file"])
    }
}
