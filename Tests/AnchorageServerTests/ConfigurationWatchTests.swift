import AnchorageLocking
import AnchorageTestSupport
import Dispatch
import Foundation
import Testing

@testable import AnchorageServer

/// inotify wake-ups for the configuration reload. Each step waits generously (the poll is not running here,
/// so a wake-up at all proves inotify saw the change); the callback count proves batching.
@Suite struct ConfigurationWatchTests {
    final class Wakeups: Sendable {
        let count = Locked(0)
        let signal = DispatchSemaphore(value: 0)

        /// Waits for the next wake-up; false after `seconds` without one.
        func next(within seconds: Double = 5) -> Bool { signal.wait(timeout: .now() + seconds) == .success }
    }

    static func start(_ directory: TemporaryDirectory) throws -> (ConfigurationWatch, Wakeups) {
        try FileManager.default.createDirectory(
            atPath: directory.url("Profiles/roles"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory.url("PKI"), withIntermediateDirectories: true)
        let wakeups = Wakeups()
        let watch = try #require(
            ConfigurationWatch(
                roots: [directory.url("PKI"), directory.url("Profiles")], queue: DispatchQueue(label: "watch-test")
            ) {
                wakeups.count.withLock { $0 += 1 }
                wakeups.signal.signal()
            })
        return (watch, wakeups)
    }

    @Test func aTreeWhoseDirectoriesAreAllWatchedSaysSo() throws {
        let directory = TemporaryDirectory()
        try FileManager.default.createDirectory(
            atPath: directory.url("PKI/trust-anchors/a/crls"), withIntermediateDirectories: true)
        let (watch, _) = try Self.start(directory)
        defer { watch.cancel() }
        #expect(watch.watchesEveryDirectory)
    }

    /// The poll under inotify: every second on small trees or without complete coverage; on a large, fully
    /// watched tree, at most 2% of a core (50 times the last check), and never less often than every 10 s.
    @Test(arguments: [
        (0.001, true, 1.0), (0.02, true, 1.0), (0.05, true, 2.5), (0.09, true, 4.5), (0.5, true, 10.0),
        (0.09, false, 1.0), (5.0, false, 1.0), (0, true, 1.0), (Double.nan, true, 1.0),
    ])
    func thePollBacksOffOnlyWhereInotifySeesEverything(_ check: Double, _ watched: Bool, _ expected: Double) {
        let interval = ReloadPollInterval.next(afterCheckTaking: check, everyDirectoryWatched: watched)
        #expect(abs(interval - expected) < 1e-9, "\(check) s, watched \(watched): \(interval)")
    }

    @Test func aWriteInANestedDirectoryWakesTheReload() throws {
        let directory = TemporaryDirectory()
        let (watch, wakeups) = try Self.start(directory)
        defer { watch.cancel() }
        try directory.write("Profiles/roles/reader.json", "{}")
        #expect(wakeups.next(), "no wake-up for a new file in Profiles/roles")
        try directory.remove("Profiles/roles/reader.json")
        #expect(wakeups.next(), "no wake-up for a removal")
    }

    @Test func aDirectoryCreatedAfterTheStartIsWatchedToo() throws {
        let directory = TemporaryDirectory()
        let (watch, wakeups) = try Self.start(directory)
        defer { watch.cancel() }
        try FileManager.default.createDirectory(
            atPath: directory.url("PKI/trust-anchors/new/crls"), withIntermediateDirectories: true)
        #expect(wakeups.next(), "no wake-up for the new directories")
        try directory.write("PKI/trust-anchors/new/crls/root.pem", "x")
        #expect(wakeups.next(), "no wake-up for a file in a directory made after the start")
    }

    @Test func anEditOfASymlinkedFilesTargetElsewhereWakesTheReload() throws {
        let directory = TemporaryDirectory()
        let elsewhere = TemporaryDirectory()
        try elsewhere.write("web.json", "{}")
        try FileManager.default.createDirectory(
            atPath: directory.url("Profiles/roles"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: directory.url("Profiles/web.json"), withDestinationPath: elsewhere.url("web.json"))
        let (watch, wakeups) = try Self.start(directory)
        defer { watch.cancel() }
        try elsewhere.write("web.json", #"{"enabled": false}"#)
        #expect(wakeups.next(), "no wake-up for an edit of the link's target")
    }

    @Test func aBurstOfWritesIsOneWakeUp() throws {
        let directory = TemporaryDirectory()
        let (watch, wakeups) = try Self.start(directory)
        defer { watch.cancel() }
        for index in 0..<20 { try directory.write("Profiles/roles/r\(index).json", "{}") }
        #expect(wakeups.next())
        // Whatever arrived after the settle delay may add one more; twenty would mean no batching at all.
        _ = wakeups.next(within: 1)
        #expect(wakeups.count.withLock { $0 } <= 3, "\(wakeups.count.withLock { $0 }) wake-ups for one burst")
    }
}
