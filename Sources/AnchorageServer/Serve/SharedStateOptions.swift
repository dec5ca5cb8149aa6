import AnchorageCommandLine
import AnchorageRedis

/// `serve`'s shared-state flags (Replicas.md): replay cache, rate limits and revocations in Redis.
enum SharedStateOptions {
    static let names: Set<String> = [
        "shared-state", "shared-state-failure", "shared-state-password-file", "shared-state-timeout",
        "shared-state-ca-file",
    ]

    static let usage = """
          --shared-state redis[s]://[USER@]HOST:PORT[/DB]  share the replay cache, the rate limits and revocations
                                      with every replica using the same Redis (default: this process only)
          --shared-state-failure closed|open  when Redis does not answer: closed (default) answers 503 and
                                      /readyz is not ready; open decides with this replica's own state
          --shared-state-password-file FILE  Redis AUTH password (first line), with USER@ as the ACL user
          --shared-state-timeout SECONDS  deadline of each Redis command (default 0.5)
          --shared-state-ca-file FILE  with rediss://, the CAs trusted for Redis's certificate (default: the system's)
        """

    /// What the flags ask for.
    struct Settings: Sendable {
        var options: RedisClient.Options
        var failureMode: SharedAdmission.FailureMode
    }

    static func resolve(_ parsed: CommandArguments) throws(CommandArguments.UsageError) -> Settings? {
        guard let url = parsed.value("shared-state") else {
            let stray = parsed.givenOptions.intersection(names)
            guard stray.isEmpty else {
                throw CommandArguments.UsageError(
                    stray.sorted().map { "--" + $0 }.joined(separator: ", ") + " needs --shared-state")
            }
            return nil
        }
        var options: RedisClient.Options
        do {
            options = try RedisClient.Options.commandLine(
                url: url, passwordFile: parsed.value("shared-state-password-file"),
                caFile: parsed.value("shared-state-ca-file"))
        } catch {
            throw CommandArguments.UsageError("--shared-state: \(error.detail)")
        }
        if let text = parsed.value("shared-state-timeout") {
            guard let seconds = Double(text), seconds.isFinite, seconds >= 0.01, seconds <= 60 else {
                throw CommandArguments.UsageError("--shared-state-timeout must be 0.01-60 seconds")
            }
            options.commandTimeout = seconds
        }
        options.setup = [RedisCommand("SCRIPT", "LOAD", AdmissionScript.source)]
        let mode: SharedAdmission.FailureMode
        switch parsed.value("shared-state-failure") {
        case nil, "closed": mode = .closed
        case "open": mode = .open
        default: throw CommandArguments.UsageError("--shared-state-failure must be closed or open")
        }
        return Settings(options: options, failureMode: mode)
    }
}
