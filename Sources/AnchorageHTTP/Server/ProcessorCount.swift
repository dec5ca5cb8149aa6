internal import Glibc

/// How many cores the process may use, computed as Foundation's `ProcessInfo.activeProcessorCount` does on
/// Linux (so the servers' default loop count did not change when this target stopped importing Foundation,
/// which `anchorage-helper` would otherwise load at every start): a cgroup v1 CPU quota when one is set
/// (rounded up), else the first range of the cgroup v1 cpuset, else the online processors.
enum ProcessorCount {
    static var active: Int {
        if let quota = quotaCores(
            quota: firstLine("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"),
            period: firstLine("/sys/fs/cgroup/cpu/cpu.cfs_period_us"))
        {
            return quota
        }
        if let cpuset = cpusetCores(firstLine("/sys/fs/cgroup/cpuset/cpuset.cpus")) { return cpuset }
        return Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }

    /// `quota / period` rounded up, when both are positive numbers.
    static func quotaCores(quota: Substring?, period: Substring?) -> Int? {
        guard let quota = quota.flatMap({ Int($0) }), quota > 0, let period = period.flatMap({ Int($0) }), period > 0
        else { return nil }
        return (quota - 1 + period) / period
    }

    /// The size of the list's first range (`0-3,8-11` counts 4, as Foundation counts it).
    static func cpusetCores(_ list: Substring?) -> Int? {
        guard let first = list?.split(separator: ",").first else { return nil }
        let bounds = first.split(separator: "-", maxSplits: 1)
        guard let low = bounds.first.flatMap({ Int($0) }), let high = bounds.last.flatMap({ Int($0) }), high >= low
        else { return nil }
        return 1 + high - low
    }

    /// The first line of a small kernel file; nil when it cannot be read.
    private static func firstLine(_ path: String) -> Substring? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count >= 0 else { return nil }
        let text = String(decoding: buffer[0..<count], as: UTF8.self)
        return text.split(separator: "\n").first ?? ""
    }
}
