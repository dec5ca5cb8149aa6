import AnchorageCommandLine
import AnchorageCore

/// `serve`'s rate-limit and replay-protection flags (TLSAndLimits.md, "Rate limits and replay protection").
enum AdmissionOptions {
    static let names: Set<String> = [
        "rate-limit-per-certificate", "rate-limit-per-source", "replay-protection", "replay-cache-size",
    ]

    static let usage = """
          --rate-limit-per-certificate RATE[/BURST]  CreateSession per leaf certificate (default 10/20; 0 disables)
          --rate-limit-per-source RATE[/BURST]       CreateSession per source address, IPv6 per /64 (default 100/200; 0 disables)
          --replay-protection on|off  refuse a signed request already accepted (default on)
          --replay-cache-size N       most remembered requests; when full, new ones get 429 (default 1000000)
        """

    static func resolve(_ parsed: CommandArguments) throws(CommandArguments.UsageError)
        -> RequestAdmission.Settings
    {
        var settings = RequestAdmission.Settings()
        for (name, path) in [
            ("rate-limit-per-certificate", \RequestAdmission.Settings.perCertificate),
            ("rate-limit-per-source", \RequestAdmission.Settings.perSource),
        ] {
            guard let text = parsed.value(name) else { continue }
            guard let limit = RateLimit.parse(text) else {
                throw CommandArguments.UsageError(
                    "--\(name) must be RATE[/BURST] (requests per second > 0, burst >= 1) or 0 to disable")
            }
            settings[keyPath: path] = limit
        }
        switch parsed.value("replay-protection") {
        case nil, "on": settings.replayProtection = true
        case "off": settings.replayProtection = false
        default: throw CommandArguments.UsageError("--replay-protection must be on or off")
        }
        if let text = parsed.value("replay-cache-size") {
            guard let size = Int(text), (1...100_000_000).contains(size) else {
                throw CommandArguments.UsageError("--replay-cache-size must be 1-100000000")
            }
            settings.replayCacheCapacity = size
        }
        return settings
    }
}
