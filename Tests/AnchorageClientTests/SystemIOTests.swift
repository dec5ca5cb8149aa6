import AnchorageCore
import Foundation
import Testing

@testable import AnchorageClient

/// What the helper does with the C library instead of Foundation gives Foundation's results.
@Suite struct SystemIOTests {
    @Test func environmentMatchesProcessInfo() {
        setenv("ANCHORAGE_SYSTEMIO_TEST", "a=b=c", 1)
        let environment = SystemIO.environment()
        #expect(environment == ProcessInfo.processInfo.environment)
        #expect(environment["ANCHORAGE_SYSTEMIO_TEST"] == "a=b=c")
    }

    @Test func fixedDecimalsAsPrintf() {
        for (value, places) in [(0.0, 2), (1.005, 2), (12.3456, 1), (0.05, 1), (19.999, 2), (-2.25, 1), (1e6 / 3, 2)] {
            #expect(SystemIO.fixed(value, places: places) == String(format: "%.\(places)f", value))
        }
    }

    @Test func readFileReadsWholeFilesAndReportsErrno() throws {
        let path = NSTemporaryDirectory() + "systemio-\(UUID().uuidString)"
        defer { unlink(path) }
        let bytes = [UInt8]((0..<70_000).lazy.map { (index: Int) in UInt8(truncatingIfNeeded: index % 251) })
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(try SystemIO.readFile(path).get() == bytes)
        #expect(FileManager.default.createFile(atPath: path + ".empty", contents: Data()))
        defer { unlink(path + ".empty") }
        #expect(try SystemIO.readFile(path + ".empty").get() == [])
        guard case .failure(let error) = SystemIO.readFile(path + ".missing") else {
            Issue.record("a missing file was read")
            return
        }
        #expect(error.code == ENOENT)
        guard case .failure(let directory) = SystemIO.readFile(NSTemporaryDirectory()) else {
            Issue.record("a directory was read as a file")
            return
        }
        #expect(directory.code == EISDIR)
    }

    @Test func parentDirectoryAsNSString() {
        for path in ["/a/b/c", "a/b/c", "/c", "/", "a/b/", "/a//b", "//a"] {
            #expect(
                CredentialsFile.parentDirectory(of: path) == (path as NSString).deletingLastPathComponent,
                "\(path)")
        }
        // A bare file name has no folder. NSString traps on these in this toolchain: `update` with
        // AWS_SHARED_CREDENTIALS_FILE=credentials crashed while the helper used it.
        for path in ["", "c", "a/", "credentials"] {
            #expect(CredentialsFile.parentDirectory(of: path).isEmpty, "\(path)")
        }
    }

    @Test("CR LF credentials files keep their other lines and get the profile updated")
    func crlfFile() throws {
        let credentials = try RefreshTests.credentials(expiring: 1_800_000_000)
        let original = "[other]\r\naws_access_key_id = AKIAOTHER\r\n[default]\r\naws_access_key_id = OLD\r\n"
        let updated = CredentialsFile.updated(original, profile: "default", credentials: credentials)
        #expect(
            updated
                == "[other]\r\naws_access_key_id = AKIAOTHER\r\n[default]\r\naws_access_key_id = ASIAEXAMPLEKEY0001\n"
                + "aws_secret_access_key = \(credentials.secretAccessKey)\naws_session_token = \(credentials.sessionToken)\n"
        )
    }

    @Test("update creates the missing folders of the credentials file with mode 0700")
    func createsFolders() throws {
        let root = NSTemporaryDirectory() + "systemio-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/home/.aws/credentials"
        let credentials = try RefreshTests.credentials(expiring: 1_800_000_000)
        try CredentialsFile.write(path: path, profile: "default", credentials: credentials)
        for folder in [root, root + "/home", root + "/home/.aws"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: folder)
            #expect((attributes[.posixPermissions] as? Int) == 0o700, "\(folder)")
        }
        #expect(
            try String(contentsOfFile: path, encoding: .utf8).contains(
                "aws_session_token = \(credentials.sessionToken)"))
    }
}
