import AnchorageTestSupport
import Foundation
import Testing

/// `anchorage-helper update` and the files around it: a credentials file it cannot read, a lock that is a
/// symbolic link, a lock held by another updater, and `--refresh-before` settings that cannot work.
@Suite("anchorage-helper update: the credentials file and refresh settings")
struct HelperCredentialsFileTests {
    typealias Hostile = HelperHostileServerTests

    @Test("an existing credentials file that cannot be read is an error, and nothing is written")
    func unreadableFile() async throws {
        let pki = try await Hostile.pki()
        let (dir, file, original) = try Hostile.credentialsFile()
        // The case: a 0600 file of another user (root) in a folder the updating user may write.
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: dir.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        var command = [try HelperBinary.path(), "update", "--once"]
        var flags = try await Hostile.credentialFlags()
        if getuid() == 0 {
            // Root reads every file: run the helper as nobody, with copies of the inputs it may read.
            let inputs = dir.appendingPathComponent("inputs")
            try FileManager.default.createDirectory(at: inputs, withIntermediateDirectories: true)
            for (flag, source) in [
                ("--certificate", pki.certificate("leaf-ec-p256")), ("--private-key", pki.privateKey("leaf-ec-p256")),
                ("--ca-bundle", pki.caBundle),
            ] {
                let copy = inputs.appendingPathComponent(source.lastPathComponent)
                try FileManager.default.copyItem(at: source, to: copy)
                try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: copy.path)
                flags[flags.firstIndex(of: flag)! + 1] = copy.path
            }
            command = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + command
        } else {
            try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: file.path)
        }
        let run = try await Hostile.harness(
            "honest", command + flags, environment: try await Hostile.environment(credentialsFile: file))
        #expect(run.exitCode == 1, "\(run.json)")
        #expect(
            run.stderr.contains("cannot read \(file.path)") && run.stderr.contains("nothing written"), "\(run.stderr)")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        #expect(try String(contentsOf: file, encoding: .utf8) == original, "the other profile is still there")
    }

    @Test("a credentials file that is not UTF-8 text is not rewritten")
    func binaryFile() async throws {
        let (_, file, _) = try Hostile.credentialsFile()
        let bytes = Data([0x5B, 0x61, 0x5D, 0x0A, 0xFF, 0xFE, 0x0A])
        try bytes.write(to: file)
        let run = try await Hostile.harness(
            "honest", [try HelperBinary.path(), "update", "--once"] + (try await Hostile.credentialFlags()),
            environment: try await Hostile.environment(credentialsFile: file))
        #expect(run.exitCode == 1 && run.stderr.contains("not UTF-8"), "\(run.json)")
        #expect(try Data(contentsOf: file) == bytes)
    }

    @Test("a credentials.lock that is a symbolic link is not followed")
    func symlinkedLock() async throws {
        let (dir, file, original) = try Hostile.credentialsFile()
        let target = dir.appendingPathComponent("elsewhere")
        try FileManager.default.createSymbolicLink(
            atPath: dir.appendingPathComponent("credentials.lock").path, withDestinationPath: target.path)
        let run = try await Hostile.harness(
            "honest", [try HelperBinary.path(), "update", "--once"] + (try await Hostile.credentialFlags()),
            environment: try await Hostile.environment(credentialsFile: file))
        #expect(run.exitCode == 1 && run.stderr.contains("symbolic link"), "\(run.json)")
        #expect(!FileManager.default.fileExists(atPath: target.path), "the link's target was not created")
        #expect(try String(contentsOf: file, encoding: .utf8) == original)
    }

    @Test("a lock held by another updater: update says it waits, gives up after 30 s, and writes nothing")
    func heldLock() async throws {
        let (dir, file, original) = try Hostile.credentialsFile()
        let fd = open(dir.appendingPathComponent("credentials.lock").path, O_RDWR | O_CREAT, 0o600)
        try #require(fd >= 0 && flock(fd, LOCK_EX) == 0)
        defer { close(fd) }
        let run = try await Hostile.harness(
            "honest", [try HelperBinary.path(), "update", "--once"] + (try await Hostile.credentialFlags()),
            environment: try await Hostile.environment(credentialsFile: file))
        #expect(run.exitCode == 1, "\(run.json)")
        #expect(run.stderr.contains("waiting for the lock on \(file.path).lock"), "\(run.stderr)")
        #expect(run.stderr.contains("gave up waiting 30 s for the lock"), "\(run.stderr)")
        // The wait is bounded: 30 s of waiting plus start-up and one CreateSession.
        #expect(run.seconds >= 30 && run.seconds < 50, "\(run.seconds) s")
        #expect(try String(contentsOf: file, encoding: .utf8) == original)
    }

    @Test(
        "--refresh-before not shorter than the session is refused at start, before any call",
        arguments: [
            ["update", "--session-duration", "900", "--refresh-before", "900"],
            ["update", "--refresh-before", "43200"],
            ["serve", "--port", "0", "--session-duration", "3600", "--refresh-before", "3600"],
        ])
    func impossibleRefreshSettings(_ arguments: [String]) async throws {
        let (_, file, original) = try Hostile.credentialsFile()
        let run = try await Hostile.harness(
            "honest", [try HelperBinary.path()] + arguments + (try await Hostile.credentialFlags()),
            environment: try await Hostile.environment(credentialsFile: file))
        #expect(run.exitCode == 64, "\(run.json)")
        #expect(run.stderr.contains("must be shorter than --session-duration"), "\(run.stderr)")
        #expect(run.connections == 0, "no CreateSession call")
        #expect(try String(contentsOf: file, encoding: .utf8) == original)
    }
}
