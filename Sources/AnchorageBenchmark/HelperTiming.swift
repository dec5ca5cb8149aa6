import Foundation

/// `anchorage-helper credential-process`, one whole run (process start, key load, signing, a new TLS
/// connection, CreateSession, JSON out) against the benchmark's server, as a `credential_process` caller
/// sees it: wall time, CPU time and peak RSS; `anchorage-helper version` for the process start alone; and
/// a trivial static C program's start on the same machine, the floor any helper stands on. Several helper
/// binaries (say the dynamically linked one and the release build) are run in turn, run after run, so that
/// whatever else the machine does falls on all of them alike. The CA bundle is in `AWS_CA_BUNDLE`, as a
/// `credential_process` line would have it: the test CA alone, and then the system's CA bundle with the test CA
/// appended (the common enterprise setting), where the helper's trust store parses only the certificates the chain
/// needs instead of all of them.
///
/// Each run goes through a small static C launcher (fork, exec, `wait4`): a child spawned straight from
/// this process would report this process's resident size as its peak (`ru_maxrss` keeps the high-water
/// mark of the address space it replaced at exec), so the launcher's few hundred KiB are the only
/// overhead, the same for every figure.
enum HelperTiming {
    /// One program's runs.
    struct Runs {
        /// Sorted seconds of wall time, spawn to exit.
        var wall: [Double]
        /// Sorted seconds of CPU time (user + system) of the child.
        var cpu: [Double]
        /// Sorted peak resident set sizes, in KiB.
        var peakKiB: [Int]
    }

    /// One helper binary's figures.
    struct HelperRuns {
        var helper: String
        var credentialProcess: Runs
        /// `credential-process` with the system bundle plus the test CA in `AWS_CA_BUNDLE`; nil when skipped.
        var systemBundle: Runs?
        var version: Runs
    }

    struct Result {
        var runs: Int
        /// In the order the helpers were given.
        var helpers: [HelperRuns]
        /// The system bundle's certificates (the test CA not counted), or why that figure was skipped.
        var systemBundle: Swift.Result<Int, BenchmarkError>
        /// nil when no C compiler was found.
        var floor: Runs?
    }

    /// `anchorage-helper` next to the `anchorage` binary the benchmark runs, when built.
    static func locate(serverBinary: String) -> String? {
        let candidate = URL(fileURLWithPath: serverBinary).deletingLastPathComponent()
            .appendingPathComponent("anchorage-helper").path
        return FileManager.default.isExecutableFile(atPath: candidate) ? candidate : nil
    }

    static let launcherSource = """
        #include <fcntl.h>
        #include <stdio.h>
        #include <sys/resource.h>
        #include <sys/wait.h>
        #include <time.h>
        #include <unistd.h>
        /* launcher OUT PROGRAM ARGS...: runs PROGRAM with stdout to OUT; prints wall ns, CPU µs, peak KiB, status. */
        int main(int argc, char **argv) {
            if (argc < 3) return 64;
            struct timespec start, end;
            clock_gettime(CLOCK_MONOTONIC, &start);
            pid_t pid = fork();
            if (pid == 0) {
                int out = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600), null = open("/dev/null", O_RDWR);
                dup2(out, 1); dup2(null, 0); dup2(null, 2);
                execv(argv[2], argv + 2);
                _exit(127);
            }
            int status; struct rusage usage;
            if (pid < 0 || wait4(pid, &status, 0, &usage) < 0) return 70;
            clock_gettime(CLOCK_MONOTONIC, &end);
            printf("%ld %ld %ld %d\\n", (long)((end.tv_sec - start.tv_sec) * 1000000000L + (end.tv_nsec - start.tv_nsec)),
                (long)(usage.ru_utime.tv_sec * 1000000L + usage.ru_utime.tv_usec
                    + usage.ru_stime.tv_sec * 1000000L + usage.ru_stime.tv_usec),
                usage.ru_maxrss, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
            return 0;
        }
        """

    /// The system's CA bundle where Debian and Ubuntu keep it; read at run time, skipped when absent.
    static let systemBundlePath = "/etc/ssl/certs/ca-certificates.crt"

    /// `systemBundlePath` with `caBundle` appended, written into `directory`, and its count of certificates.
    static func systemBundle(appending caBundle: URL, in directory: URL) -> Swift.Result<(URL, Int), BenchmarkError> {
        guard let system = try? String(contentsOfFile: systemBundlePath, encoding: .utf8) else {
            return .failure(BenchmarkError("\(systemBundlePath) is absent or unreadable"))
        }
        guard let testCA = try? String(contentsOf: caBundle, encoding: .utf8) else {
            return .failure(BenchmarkError("cannot read \(caBundle.path)"))
        }
        let count = system.components(separatedBy: "-----BEGIN CERTIFICATE-----").count - 1
        guard count > 0 else { return .failure(BenchmarkError("\(systemBundlePath) holds no certificate")) }
        let combined = directory.appendingPathComponent("system-bundle.pem")
        let text = system.hasSuffix("\n") || system.isEmpty ? system + testCA : system + "\n" + testCA
        guard (try? text.write(to: combined, atomically: true, encoding: .utf8)) != nil else {
            return .failure(BenchmarkError("cannot write \(combined.path)"))
        }
        return .success((combined, count))
    }

    /// `runs` timed runs of each helper (in turn) and of the floor, with the certificate and key in the PEM files
    /// given and `caBundle` in `AWS_CA_BUNDLE`, then the system bundle with `caBundle` appended there.
    static func measure(
        helpers: [String], runs: Int, port: Int, certificate: URL, key: URL, caBundle: URL, target: Target
    ) throws -> Result {
        let work = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
            "anchorage-helper-timing-\(getpid())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        guard let launcher = compile("launcher", launcherSource, in: work) else {
            throw BenchmarkError("no C compiler (cc) to build the timing launcher")
        }
        let floor = compile("floor", "int main(void) { return 0; }\n", in: work)
        let output = work.appendingPathComponent("stdout").path
        let systemBundle = Self.systemBundle(appending: caBundle, in: work)
        // The children inherit it through the launcher; no --ca-bundle, as in a credential_process line. Set before
        // each run (this loop is the only user of the variable), as the two bundles take turns.
        func useBundle(_ bundle: URL) { setenv("AWS_CA_BUNDLE", bundle.path, 1) }
        useBundle(caBundle)
        let arguments = [
            "credential-process", "--certificate", certificate.path, "--private-key", key.path,
            "--trust-anchor-arn", target.trustAnchorArn, "--profile-arn", target.profileArn,
            "--role-arn", target.roleArn, "--endpoint", "https://127.0.0.1:\(port)",
        ]
        func timed(_ program: String, _ arguments: [String]) throws -> (wall: Double, cpu: Double, peakKiB: Int) {
            let run = try ChildProcess.run(launcher, [output, program] + arguments)
            let fields = run.output.split(separator: " ").compactMap {
                Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            guard run.exitStatus == 0, fields.count == 4, fields[3] == 0 else {
                throw BenchmarkError("\(program) \(arguments.first ?? "") failed: \(run.output)")
            }
            return (Double(fields[0]) / 1e9, Double(fields[1]) / 1e6, fields[2])
        }
        // One untimed run of each warms the page cache for the binaries, their libraries and the bundles.
        for helper in helpers {
            _ = try timed(helper, arguments)
            _ = try timed(helper, ["version"])
            if case .success(let (bundle, _)) = systemBundle {
                useBundle(bundle)
                _ = try timed(helper, arguments)
                useBundle(caBundle)
            }
        }
        if let floor { _ = try timed(floor, []) }
        typealias Sample = (wall: Double, cpu: Double, peakKiB: Int)
        var credentialSamples = [[Sample]](repeating: [], count: helpers.count)
        var systemBundleSamples = [[Sample]](repeating: [], count: helpers.count)
        var versionSamples = [[Sample]](repeating: [], count: helpers.count)
        var floorSamples: [Sample] = []
        func credentials(_ helper: String) throws -> Sample {
            let sample = try timed(helper, arguments)
            let printed = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            guard printed.contains("\"AccessKeyId\""), printed.contains("\"Version\"") else {
                throw BenchmarkError("\(helper) credential-process printed no credentials: \(printed)")
            }
            return sample
        }
        for _ in 0..<runs {
            for (index, helper) in helpers.enumerated() {
                credentialSamples[index].append(try credentials(helper))
            }
            if case .success(let (bundle, _)) = systemBundle {
                useBundle(bundle)
                defer { useBundle(caBundle) }
                for (index, helper) in helpers.enumerated() {
                    systemBundleSamples[index].append(try credentials(helper))
                }
            }
            for (index, helper) in helpers.enumerated() { versionSamples[index].append(try timed(helper, ["version"])) }
            if let floor { floorSamples.append(try timed(floor, [])) }
        }
        func runsOf(_ list: [Sample]) -> Runs {
            Runs(
                wall: list.map(\.wall).sorted(), cpu: list.map(\.cpu).sorted(), peakKiB: list.map(\.peakKiB).sorted())
        }
        return Result(
            runs: runs,
            helpers: helpers.indices.map {
                HelperRuns(
                    helper: helpers[$0], credentialProcess: runsOf(credentialSamples[$0]),
                    systemBundle: systemBundleSamples[$0].isEmpty ? nil : runsOf(systemBundleSamples[$0]),
                    version: runsOf(versionSamples[$0]))
            },
            systemBundle: systemBundle.map(\.1),
            floor: floor == nil ? nil : runsOf(floorSamples))
    }

    /// The report's lines: per helper, `credential-process` and `version`; then the floor.
    static func report(_ timing: Result) -> [String] {
        func figures(_ runs: Runs) -> String {
            String(
                format: "median %.1f ms wall (p90 %.1f, min %.1f), %.1f ms CPU, %.1f MiB peak RSS",
                1000 * (nearestRank(runs.wall, 0.5) ?? 0), 1000 * (nearestRank(runs.wall, 0.9) ?? 0),
                1000 * (runs.wall.first ?? 0), 1000 * (nearestRank(runs.cpu, 0.5) ?? 0),
                Double(nearestRank(runs.peakKiB, 0.5) ?? 0) / 1024)
        }
        var lines: [String] = []
        for helper in timing.helpers {
            lines.append(
                "\(helper.helper) credential-process, whole process end to end (\(timing.runs) runs, P-256, "
                    + "CA bundle in AWS_CA_BUNDLE): " + figures(helper.credentialProcess))
            switch timing.systemBundle {
            case .success(let count):
                if let runs = helper.systemBundle {
                    lines.append(
                        "  with \(systemBundlePath) (\(count) certificates) + the test CA in AWS_CA_BUNDLE: "
                            + figures(runs))
                }
            case .failure(let reason):
                lines.append("  with the system CA bundle: not timed (\(reason))")
            }
            lines.append("  `version` alone: " + figures(helper.version))
        }
        if let floor = timing.floor {
            lines.append("a trivial static C program's start (the floor, same launcher): " + figures(floor))
        }
        return lines
    }

    /// Compiles `source` statically (dynamically if static libc is missing); nil without a C compiler.
    private static func compile(_ name: String, _ source: String, in directory: URL) -> String? {
        let sourceFile = directory.appendingPathComponent("\(name).c")
        let binary = directory.appendingPathComponent(name).path
        guard (try? source.write(to: sourceFile, atomically: true, encoding: .utf8)) != nil else { return nil }
        for flags in [["-O2", "-static"], ["-O2"]] {
            if let run = try? ChildProcess.run("/usr/bin/env", ["cc"] + flags + ["-o", binary, sourceFile.path]),
                run.exitStatus == 0
            {
                return binary
            }
        }
        return nil
    }
}
