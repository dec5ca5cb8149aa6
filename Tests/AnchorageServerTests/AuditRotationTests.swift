import AnchorageConfigFixtures
import AnchorageCore
import AnchorageServer
import AnchorageTestSupport
import Foundation
import Testing

/// The audit file renamed or deleted under the running log (issue 16, item 9): no record is left only in a
/// file that no longer exists, the path is opened again, and the torn-tail repair reaches back to the last
/// newline however far it is.
@Suite struct AuditRotationTests {
    static func line(_ id: String) -> [UInt8] { Array(#"{"requestId":"\#(id)"}"#.utf8) + [0x0A] }

    static func ids(_ text: String) -> [String] {
        text.split(separator: "\n").map { String($0.dropFirst(14).dropLast(2)) }
    }

    /// Renamed away (what logrotate does before `postrotate`): the records up to the rename stay in the renamed
    /// file, which still exists, and the next ones go to a new file at the path.
    @Test(arguments: [AuditLog.Sync.data, .none])
    func aRenamedLogKeepsItsRecordsAndTheNextGoToANewFile(_ sync: AuditLog.Sync) throws {
        let directory = TemporaryDirectory()
        let log = try AuditLog(path: directory.url("audit.jsonl"), sync: sync)
        let first = try #require(log.write(line: Self.line("a")))
        #expect(log.commit(upTo: first))
        #expect(rename(directory.url("audit.jsonl"), directory.url("audit.jsonl.1")) == 0)
        #expect(!log.isWritable, "not ready while the path names no file of the log")

        let second = try #require(log.write(line: Self.line("b")))
        #expect(log.commit(upTo: second))
        let third = try #require(log.write(line: Self.line("c")))
        #expect(log.commit(upTo: third))
        #expect(log.isWritable)
        let old = try directory.read("audit.jsonl.1")
        let new = try directory.read("audit.jsonl")
        // "b" was written before the rename was noticed: it is in the renamed file, which still exists.
        #expect(Self.ids(old) + Self.ids(new) == ["a", "b", "c"])
        #expect(Self.ids(old).first == "a" && Self.ids(new).last == "c")
        #expect(Set(Self.ids(old)).isDisjoint(with: Self.ids(new)))
    }

    /// Deleted (no name left): the records of the write that found it gone are written again to the new file,
    /// so every record whose answer may leave is in a file that exists.
    @Test(arguments: [AuditLog.Sync.data, .none])
    func aDeletedLogHasItsLastRecordsWrittenAgainToANewFile(_ sync: AuditLog.Sync) throws {
        let directory = TemporaryDirectory()
        let log = try AuditLog(path: directory.url("audit.jsonl"), sync: sync)
        #expect(log.commit(upTo: try #require(log.write(line: Self.line("a")))))
        #expect(unlink(directory.url("audit.jsonl")) == 0)
        #expect(!log.isWritable)

        let second = try #require(log.write(line: Self.line("b")))
        let third = try #require(log.write(line: Self.line("c")))
        #expect(log.commit(upTo: third))
        #expect(log.commit(upTo: second))
        #expect(Self.ids(try directory.read("audit.jsonl")) == ["b", "c"])
        #expect(log.isWritable)
    }

    /// Replaced by another file (logrotate's `create` before the signal): the log moves to it.
    @Test func aReplacedLogMovesToTheNewFileAndAReopenWithoutRotationChangesNothing() throws {
        let directory = TemporaryDirectory()
        let log = try AuditLog(path: directory.url("audit.jsonl"), sync: .data)
        #expect(log.commit(upTo: try #require(log.write(line: Self.line("a")))))
        #expect(log.reopen(trigger: "test"), "reopening the same file")
        #expect(log.commit(upTo: try #require(log.write(line: Self.line("b")))))
        #expect(Self.ids(try directory.read("audit.jsonl")) == ["a", "b"])

        #expect(rename(directory.url("audit.jsonl"), directory.url("audit.jsonl.1")) == 0)
        try directory.write("audit.jsonl", "")
        log.reopenIfMoved()
        #expect(log.isWritable)
        #expect(log.commit(upTo: try #require(log.write(line: Self.line("c")))))
        #expect(Self.ids(try directory.read("audit.jsonl.1")) == ["a", "b"])
        #expect(Self.ids(try directory.read("audit.jsonl")) == ["c"])
    }

    /// When the path cannot be opened again, the records are refused (their answers become 503), `/readyz`
    /// says not ready, and the failure names what failed; once it can be opened, writes succeed again.
    @Test func aPathThatCannotBeOpenedFailsClosedUntilItCan() throws {
        let directory = TemporaryDirectory()
        let state = directory.url("state")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let log = try AuditLog(path: state + "/audit.jsonl", sync: .data)
        #expect(log.commit(upTo: try #require(log.write(line: Self.line("a")))))
        // The directory itself goes away: nothing can be created at the path.
        #expect(rename(state, directory.url("state.gone")) == 0)
        let lost = try #require(log.write(line: Self.line("b")))
        #expect(!log.commit(upTo: lost))
        #expect(!log.isWritable)
        #expect(log.lastFailure?.contains(state + "/audit.jsonl") == true, "\(log.lastFailure ?? "nil")")
        #expect(log.lastFailure?.contains("No such file or directory") == true, "\(log.lastFailure ?? "nil")")

        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        #expect(log.reopen(trigger: "test"))
        #expect(log.commit(upTo: try #require(log.write(line: Self.line("c")))))
        #expect(Self.ids(try String(contentsOfFile: state + "/audit.jsonl", encoding: .utf8)) == ["c"])
    }

    /// A write that fails says why, with the path: ENOSPC on a full device.
    @Test func aFailedWriteSaysWhatFailed() throws {
        let log = try AuditLog(path: "/dev/full", sync: .none)
        #expect(log.lastFailure == nil)
        #expect(log.write(line: Self.line("a")) == nil)
        #expect(log.lastFailure == "write(2) to /dev/full: No space left on device")
    }

    /// The torn tail is cut at the last newline even when it is longer than any window (here 3 MiB).
    @Test func aTornTailLongerThanAnyWindowIsCutAtTheLastNewline() throws {
        let directory = TemporaryDirectory()
        let complete = #"{"requestId":"a"}"# + "\n"
        let torn = "{" + String(repeating: "x", count: 3 << 20)
        try directory.write("audit.jsonl", complete + torn)
        let log = try AuditLog(path: directory.url("audit.jsonl"))
        #expect(try directory.read("audit.jsonl") == complete)
        let reported = try #require(log.repairedTail)
        #expect(reported.hasPrefix("{xxx") && reported.hasSuffix("(\(torn.utf8.count) bytes)"))

        // No newline at all: the whole file was one torn record.
        try directory.write("other.jsonl", String(repeating: "y", count: (1 << 20) + 17))
        _ = try AuditLog(path: directory.url("other.jsonl"))
        #expect(try directory.read("other.jsonl") == "")
    }
}
