import AnchorageCore
import AnchorageServer
import AnchorageTestSupport
import Foundation
import Testing

@Suite struct KeyringFileTests {
    private func mode(_ path: String) -> mode_t {
        var info = stat()
        #expect(stat(path, &info) == 0)
        return info.st_mode & 0o777
    }

    @Test func loadOrCreateCreatesA0600FileAndReloadsTheSameKey() throws {
        let directory = TemporaryDirectory()
        let path = directory.url("token-keyring.json")
        let created = try KeyringFile.loadOrCreate(path, random: SystemRandomSource())
        #expect(mode(path) == 0o600)
        #expect(created.keys.count == 1)
        #expect(created.sealingKey.secret.count == 32)
        #expect(created.sealingKey.id.hasPrefix("k-"))
        // No temporary file is left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["token-keyring.json"])

        let again = try KeyringFile.loadOrCreate(path, random: SystemRandomSource())
        #expect(again.keys.map(\.id) == created.keys.map(\.id))
        #expect(again.keys.map(\.secret) == created.keys.map(\.secret))
        let loaded = try KeyringFile.load(path)
        #expect(loaded.sealingKey.secret == created.sealingKey.secret)
    }

    @Test(arguments: [0o644, 0o640, 0o604, 0o660] as [mode_t])
    func loadRefusesAKeyringReadableByOthers(_ permissions: mode_t) throws {
        let directory = TemporaryDirectory()
        let path = directory.url("token-keyring.json")
        _ = try KeyringFile.loadOrCreate(path, random: SystemRandomSource())
        #expect(chmod(path, permissions) == 0)
        let error = #expect(throws: ServeError.self) { try KeyringFile.load(path) }
        #expect(error?.message.contains(path) == true)
        #expect(error?.message.contains("chmod 600") == true)
        #expect(throws: ServeError.self) { try KeyringFile.loadOrCreate(path, random: SystemRandomSource()) }
    }

    struct MalformedCase: Sendable, CustomTestStringConvertible {
        var name: String
        var contents: String
        var message: String
        var testDescription: String { name }
    }

    static let malformed: [MalformedCase] = [
        MalformedCase(name: "truncated JSON", contents: #"{"keys": ["#, message: "invalid JSON"),
        MalformedCase(name: "not JSON", contents: "hello", message: "invalid JSON"),
        MalformedCase(name: "unknown key", contents: #"{"keys": [], "extra": 1}"#, message: "$.extra"),
        MalformedCase(name: "no key", contents: #"{"keys": []}"#, message: "holds no key"),
        MalformedCase(
            name: "short secret", contents: #"{"keys": [{"id": "k-1", "secret": "AAAA"}]}"#,
            message: "$.keys[0].secret"),
    ]

    @Test(arguments: malformed)
    func malformedKeyringErrorNamesThePath(_ row: MalformedCase) throws {
        let directory = TemporaryDirectory()
        let path = directory.url("token-keyring.json")
        try directory.write("token-keyring.json", row.contents)
        #expect(chmod(path, 0o600) == 0)
        let error = #expect(throws: ServeError.self) { try KeyringFile.load(path) }
        #expect(error?.message.hasPrefix(path + ": ") == true, "\(String(describing: error))")
        #expect(error?.message.contains(row.message) == true, "\(String(describing: error))")
    }

    @Test func missingKeyringErrorNamesThePath() {
        let directory = TemporaryDirectory()
        let path = directory.url("absent.json")
        let error = #expect(throws: ServeError.self) { try KeyringFile.load(path) }
        #expect(error?.message.contains(path) == true)
    }
}
