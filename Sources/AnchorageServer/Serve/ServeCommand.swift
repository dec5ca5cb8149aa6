import AnchorageCommandLine
import AnchorageConfig
import AnchorageCore
import AnchorageCrypto
import AnchorageHTTP
import Foundation

/// `anchorage serve`: loads the configuration, opens the audit log and keyring, and runs the HTTPS service
/// until SIGTERM or SIGINT. SIGHUP reloads the configuration and reopens the audit log; files are also watched
/// every second. SIGUSR1 only reopens the audit log (log rotation).
public enum ServeCommand {
    public static let usage = """
        usage: anchorage serve --pki DIR --profiles DIR --state-dir DIR --listen HOST:PORT
                               (--tls-certificate FILE --tls-private-key FILE | --insecure-http)
                               [--token-keyring FILE] [--audit-sync data|none] [--log-level debug|info|warning|error]
                               [--max-connections N] [--public-host NAME]... [--metrics-listen HOST:PORT]
                               [--shared-state redis://HOST:PORT[/DB] [--shared-state-failure closed|open]]
               anchorage serve --dev [--listen HOST:PORT] [--state-dir DIR] [--metrics-listen HOST:PORT]

          --pki DIR              trust anchors and CRLs (default ./PKI)
          --profiles DIR         profiles and roles (default ./Profiles)
          --state-dir DIR        audit log and, without --token-keyring, the keyring (required)
          --listen HOST:PORT     address to bind; port 0 picks a free port (default 127.0.0.1:8443)
          --tls-certificate FILE server certificate chain (PEM)
          --tls-private-key FILE server private key (PEM)
          --insecure-http        plain HTTP, for a TLS-terminating proxy in front
          --public-host NAME     (repeatable) a host name or IP address clients sign requests for (the
                                 signed Host; its port is not compared). Accepted besides the TLS
                                 certificate's DNS and IP subject alternative names; with --insecure-http
                                 and no --public-host, only localhost, 127.0.0.1 and [::1] are accepted
          --metrics-listen HOST:PORT  where GET /metrics is served, plain HTTP (default 127.0.0.1:9464;
                                 port 0 picks a free port); never on the API listener
          --token-keyring FILE   session-token keys (mode 0600); created in --state-dir when omitted;
                                 re-read on SIGHUP and when it changes (key rotation)
          --audit-sync MODE      data (default): each audit record is on disk (fdatasync, shared by
                                 the requests of one batch) before its answer leaves;
                                 none: the page cache only (survives kill -9, not a power loss)
          --expiry-warning-days N  warn when an anchor certificate expires within N days (default 45)
          --log-level LEVEL      debug, info (default), warning or error; JSON lines on stderr
          --max-connections N    open connections at most (default 10000); more are closed when accepted
        \(AdmissionOptions.usage)
        \(SharedStateOptions.usage)
          --dev                  throwaway PKI and configuration under ./.anchorage-dev, on 127.0.0.1:8443
                                 (or --listen); its audit log and keyring in .anchorage-dev/state (or --state-dir);
                                 metrics on a free loopback port (or --metrics-listen)
        """

    static let options: Set<String> = Set([
        "pki", "profiles", "state-dir", "listen", "tls-certificate", "tls-private-key", "token-keyring", "log-level",
        "expiry-warning-days",
        "max-connections",
        "audit-sync", "metrics-listen",
    ]).union(AdmissionOptions.names).union(SharedStateOptions.names)
    static let repeatableOptions: Set<String> = ["public-host"]
    static let flags: Set<String> = ["insecure-http", "dev"]

    /// Everything `serve` needs, resolved from the command line.
    public struct Options: Sendable {
        public var pkiDirectory = "PKI"
        public var profilesDirectory = "Profiles"
        public var stateDirectory: String
        public var host = "127.0.0.1"
        public var port = 8443
        public var tlsCertificate: String?
        public var tlsPrivateKey: String?
        public var tokenKeyring: String?
        public var logLevel: Logger.Level = .info
        /// Warn when an anchor certificate expires within this many days.
        public var expiryWarningDays = 45
        /// Open connections at most; nil keeps `HTTPServerConfiguration`'s default (10,000).
        public var maxConnections: Int?
        /// Rate limits and replay protection.
        var admission = RequestAdmission.Settings()
        /// Replay cache, rate limits and revocations shared through Redis (`--shared-state`); nil: this process only.
        var sharedState: SharedStateOptions.Settings?
        /// Whether each audit record is fdatasynced before the answer.
        public var auditSync: AuditLog.Sync = .data
        /// Names accepted in the signed `Host` besides the TLS certificate's (`--public-host`).
        public var publicHosts: [String] = []
        /// The metrics listener (`--metrics-listen`): loopback, on the port OpenTelemetry's Prometheus exporter uses.
        public var metricsHost = "127.0.0.1"
        public var metricsPort = 9464

        public init(stateDirectory: String) { self.stateDirectory = stateDirectory }
    }

    /// Runs `serve` with `arguments` (after the subcommand); returns the exit status.
    public static func run(_ arguments: [String]) -> Int32 {
        let parsed: CommandArguments
        do {
            parsed = try parse(arguments)
        } catch {
            FileHandle.standardError.write(Data("anchorage serve: \(error)\n\n\(usage)\n".utf8))
            return 64
        }
        if parsed.helpRequested {
            print(usage)
            return 0
        }
        // Before anything can start a thread: every thread inherits this mask, so only the signal thread
        // started in `serve` (sigwait) ever receives these signals (see `SignalThread`).
        SignalThread.blockHandledSignals()
        do {
            if parsed.has("dev") {
                let others = parsed.givenOptions.subtracting(["dev", "listen", "state-dir", "metrics-listen"])
                guard others.isEmpty else {
                    throw CommandArguments.UsageError(
                        "--dev takes only --listen, --state-dir and --metrics-listen, not "
                            + others.sorted().map { "--" + $0 }.joined(separator: ", "))
                }
                var environment = try DevEnvironment.prepare(
                    in: FileManager.default.currentDirectoryPath,
                    listen: try parsed.value("listen").map { text in
                        let (host, port) = try hostAndPort(text, option: "listen")
                        return (host: host, port: port)
                    }, stateDirectory: parsed.value("state-dir"))
                // A first run must not fail because something (a second dev server, an OpenTelemetry exporter)
                // holds the metrics port: --dev picks a free one unless told, and prints it.
                (environment.options.metricsHost, environment.options.metricsPort) =
                    try parsed.value("metrics-listen").map { try hostAndPort($0, option: "metrics-listen") }
                    ?? ("127.0.0.1", 0)
                return try serve(environment.options, announce: environment.announce)
            }
            return try serve(try resolve(parsed), announce: nil)
        } catch let error as CommandArguments.UsageError {
            FileHandle.standardError.write(Data("anchorage serve: \(error)\n\n\(usage)\n".utf8))
            return 64
        } catch {
            FileHandle.standardError.write(Data("anchorage serve: \(error)\n".utf8))
            return 1
        }
    }

    /// `arguments` against `serve`'s options; later values of a single-valued option win.
    static func parse(_ arguments: [String]) throws(CommandArguments.UsageError) -> CommandArguments {
        try CommandArguments(
            arguments,
            .init(options: options, repeatableOptions: repeatableOptions, flags: flags, laterValuesOverride: true))
    }

    /// The options of `arguments` (without `--dev`), as `serve` resolves them.
    static func options(from arguments: [String]) throws -> Options { try resolve(parse(arguments)) }

    static func resolve(_ parsed: CommandArguments) throws -> Options {
        guard let stateDirectory = parsed.value("state-dir") else {
            throw CommandArguments.UsageError("--state-dir is required")
        }
        var options = Options(stateDirectory: stateDirectory)
        if let pki = parsed.value("pki") { options.pkiDirectory = pki }
        if let profiles = parsed.value("profiles") { options.profilesDirectory = profiles }
        if let listen = parsed.value("listen") {
            (options.host, options.port) = try hostAndPort(listen, option: "listen")
        }
        if let listen = parsed.value("metrics-listen") {
            (options.metricsHost, options.metricsPort) = try hostAndPort(listen, option: "metrics-listen")
        }
        for name in parsed.values("public-host") {
            if let problem = ServerNames.invalidName(name) {
                throw CommandArguments.UsageError("--public-host: \(problem)")
            }
            options.publicHosts.append(name)
        }
        if parsed.has("insecure-http") {
            guard parsed.value("tls-certificate") == nil, parsed.value("tls-private-key") == nil else {
                throw CommandArguments.UsageError(
                    "--insecure-http excludes --tls-certificate and --tls-private-key")
            }
        } else {
            guard let certificate = parsed.value("tls-certificate"), let key = parsed.value("tls-private-key") else {
                throw CommandArguments.UsageError(
                    "give --tls-certificate and --tls-private-key, or --insecure-http")
            }
            options.tlsCertificate = certificate
            options.tlsPrivateKey = key
        }
        options.tokenKeyring = parsed.value("token-keyring")
        if let days = parsed.value("expiry-warning-days") {
            guard let value = Int(days), (1...3650).contains(value) else {
                throw CommandArguments.UsageError("--expiry-warning-days must be 1-3650")
            }
            options.expiryWarningDays = value
        }
        if let limit = parsed.value("max-connections") {
            guard let value = Int(limit), value >= 1 else {
                throw CommandArguments.UsageError("--max-connections must be a positive whole number")
            }
            options.maxConnections = value
        }
        options.admission = try AdmissionOptions.resolve(parsed)
        options.sharedState = try SharedStateOptions.resolve(parsed)
        if let sync = parsed.value("audit-sync") {
            guard let mode = AuditLog.Sync(rawValue: sync) else {
                throw CommandArguments.UsageError("--audit-sync must be data or none")
            }
            options.auditSync = mode
        }
        if let level = parsed.value("log-level") {
            guard let parsedLevel = Logger.Level(rawValue: level) else {
                throw CommandArguments.UsageError("--log-level must be debug, info, warning or error")
            }
            options.logLevel = parsedLevel
        }
        return options
    }

    /// `HOST:PORT` (an IPv6 host in brackets) of `--<option>`.
    static func hostAndPort(_ text: String, option: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { throw CommandArguments.UsageError("--\(option) must be HOST:PORT") }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw CommandArguments.UsageError("--\(option) must be HOST:PORT") }
        return (host, port)
    }

    /// The names a signed `Host` may carry: the TLS certificate's DNS and IP subject alternative names and
    /// `--public-host`; with `--insecure-http` (no certificate) and no `--public-host`, the loopback names only,
    /// so that a plain-HTTP server denies by default whatever a proxy forwards until it is told its names.
    static func serverNames(_ options: Options) throws -> ServerNames {
        let given = ServerNames(names: options.publicHosts)
        guard let certificateFile = options.tlsCertificate else { return given.isEmpty ? .loopback : given }
        let leaf: Certificate
        do {
            guard
                let first = try Certificate.parsePEMBundle(
                    Array(try Data(contentsOf: URL(fileURLWithPath: certificateFile)))
                ).first
            else { throw ServeError("no certificate in it") }
            leaf = first
        } catch {
            throw ServeError("cannot read the TLS certificate \(certificateFile): \(error)")
        }
        let alternativeNames = leaf.subjectAlternativeNames
        let names = ServerNames(names: alternativeNames.dnsNames + alternativeNames.ipAddresses).union(given)
        guard !names.isEmpty else {
            throw ServeError(
                "the TLS certificate \(certificateFile) has no DNS or IP subject alternative name, so no signed Host "
                    + "could be accepted; give --public-host NAME for each name clients use")
        }
        return names
    }

    /// Starts the service and blocks until it has stopped. `announce`, given the address bound (host as
    /// bound, port as chosen), returns text to print before the `listening on` line.
    public static func serve(_ options: Options, announce: ((_ host: String, _ port: Int) -> String)?) throws -> Int32 {
        let application = try AnchorageApplication(options)
        let bound = try application.start()
        // Only now: a signal that came during start-up has waited, pending, for a server it can stop.
        application.takeSignals()
        // Written unbuffered: scripts and tests wait for this line on a pipe.
        var banner = ""
        if let announce { banner += announce(bound.host, bound.port) + "\n\n" }
        banner += "listening on \(bound.scheme)://\(AnchorageApplication.display(bound.host)):\(bound.port)\n"
        // Its own line, worded apart from the one above so that nothing reading `listening on` mistakes it.
        banner +=
            "metrics on http://\(AnchorageApplication.display(bound.metricsHost)):\(bound.metricsPort)/metrics\n"
        FileHandle.standardOutput.write(Data(banner.utf8))
        application.waitUntilStopped()
        return 0
    }
}
