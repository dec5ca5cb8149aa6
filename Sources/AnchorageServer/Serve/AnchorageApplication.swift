import AnchorageConfig
import AnchorageControlPlane
import AnchorageCore
import AnchorageCrypto
import AnchorageHTTP
import AnchorageLocking
import AnchorageRedis
import Dispatch
import Foundation

/// A running `anchorage serve`: owns the configuration store, the keyring, the audit log, the file watchers, the
/// API and metrics listeners, and (once ``takeSignals()`` is called) the signal thread.
///
/// `init` loads and opens everything and binds nothing; ``start()`` binds and returns the addresses; ``stop()``
/// drains and stops (what SIGTERM does); ``waitUntilStopped()`` blocks until both listeners have stopped and then
/// cancels the watchers. `ServeCommand` only parses flags and prints.
public final class AnchorageApplication {
    /// The addresses ``start()`` bound: the host as bound, the port as chosen (port 0 picks a free one).
    public struct Addresses: Sendable {
        /// `https`, or `http` with `--insecure-http`.
        public var scheme: String
        public var host: String
        public var port: Int
        public var metricsHost: String
        public var metricsPort: Int
    }

    let logger: Logger
    let store: ConfigurationStore
    let auditLog: AuditLog
    let serverNames: ServerNames
    let server: HTTPServer
    let metricsServer: HTTPServer
    let subjects: SubjectStore
    let scheme: String
    /// The signal thread's actions; built from the parts it touches, so it can run on any thread.
    let signalHandler: @Sendable (Int32) -> Void
    private let watch: ConfigurationWatch?
    private let watcher: any DispatchSourceTimer
    private let daily: any DispatchSourceTimer
    /// With `--shared-state`: the Redis connection and the revocations it keeps in memory.
    private let redis: RedisClient?
    private let sharedRevocations: SharedRevocations?

    /// Loads the configuration, creates the state directory, opens the keyring and the audit log, and prepares the
    /// listeners and watchers without starting them.
    public init(_ options: ServeCommand.Options) throws {
        let logger = Logger(minimumLevel: options.logLevel)
        let store: ConfigurationStore
        do {
            store = try ConfigurationStore(
                loader: ConfigurationLoader(
                    pkiDirectory: options.pkiDirectory, profilesDirectory: options.profilesDirectory))
        } catch {
            throw ServeError("the configuration is invalid; not starting:\n\(error)")
        }
        try FileManager.default.createDirectory(
            atPath: options.stateDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let random = SystemRandomSource()
        let keyringPath = options.tokenKeyring ?? options.stateDirectory + "/token-keyring.json"
        let keyring =
            try options.tokenKeyring.map { try KeyringFile.load($0) }
            ?? KeyringFile.loadOrCreate(keyringPath, random: random)
        let keyrings = KeyringReloader(path: keyringPath, shared: SharedTokenKeyring(keyring))
        let auditLog = try AuditLog(
            path: options.stateDirectory + "/audit.jsonl", sync: options.auditSync, logger: logger)
        if let fragment = auditLog.repairedTail {
            // The record of a request that was never answered (a crash mid-write); it holds no secret.
            logger.warning(
                "the audit log ended with an incomplete record (a crash while writing it; its request was never "
                    + "answered); cut it off", ["file": auditLog.path, "fragment": fragment])
        }
        let metrics = Metrics()
        // Roles Anywhere subjects: recorded in memory by CreateSession, written every second after a change (below).
        let subjects = SubjectStore(path: options.stateDirectory + "/subjects.json")
        let serverReference = ServerReference()
        var createSession = CreateSessionService(sharedKeyring: keyrings.shared, random: random)
        var admissionStore: (any AdmissionStore)?
        var sharedStateProblem: @Sendable () -> String? = { nil }
        let redis: RedisClient?
        let sharedRevocations: SharedRevocations?
        var replicateSubjects: (@Sendable () -> Void)?
        if let shared = options.sharedState {
            let (client, revocations, sharedSubjects) = try Self.connectSharedState(
                shared, store: store, subjects: subjects, auditLog: auditLog, logger: logger)
            // With Redis, every flush tick also merges this replica's subjects with the others'.
            replicateSubjects = { sharedSubjects.synchronize() }
            let sharedAdmission = SharedAdmission(
                client: client, settings: options.admission, failureMode: shared.failureMode, logger: logger)
            admissionStore = sharedAdmission
            if shared.failureMode == .closed {
                sharedStateProblem = { client.isReady ? nil : "shared state (Redis) unreachable" }
            }
            redis = client
            sharedRevocations = revocations
        } else {
            createSession.admission = RequestAdmission(options.admission)
            redis = nil
            sharedRevocations = nil
        }
        subjects.startFlushing(replicate: replicateSubjects) { failure in
            logger.error("cannot write the subject records", ["error": failure])
        }
        createSession.serverNames = try ServeCommand.serverNames(options)
        if options.tlsCertificate == nil, options.publicHosts.isEmpty {
            logger.warning(
                "--insecure-http without --public-host: only the loopback names are accepted as the signed Host; "
                    + "give --public-host for each name clients use through the proxy",
                ["serverNames": createSession.serverNames.description])
        }
        let service = AnchorageService(
            configurations: store, createSession: createSession,
            auditLog: auditLog, logger: logger, metrics: metrics,
            connectionCount: { serverReference.server.withLock { $0?.connectionCount } },
            rolesAnywhere: RolesAnywhereAPI(
                editor: ConfigurationEditor(
                    pkiDirectory: options.pkiDirectory, profilesDirectory: options.profilesDirectory,
                    lockWaitSeconds: ConfigurationEditor.apiLockWaitSeconds),
                subjects: subjects),
            admissionStore: admissionStore, sharedStateProblem: sharedStateProblem, subjects: subjects)

        var configuration = HTTPServerConfiguration()
        configuration.host = options.host
        configuration.port = options.port
        if let limit = options.maxConnections { configuration.maxConnections = limit }
        if let certificate = options.tlsCertificate, let key = options.tlsPrivateKey {
            configuration.tls = try TLSServerContext(certificateChainFile: certificate, privateKeyFile: key)
            if let warning = ServerCertificatePurpose.warning(chainFile: certificate) {
                logger.warning(warning, ["file": certificate])
            }
        }
        let server = HTTPServer(configuration: configuration, handler: service)
        serverReference.server.withLock { $0 = server }
        // The scraper's listener: one loop, plain HTTP, few connections.
        let metricsServer = HTTPServer(
            configuration: HTTPServerConfiguration(
                host: options.metricsHost, port: options.metricsPort, eventLoopCount: 1, maxConnections: 64),
            handler: MetricsEndpoint(service: service))
        let health = ConfigurationHealth(warningDays: options.expiryWarningDays)
        health.logWarnings(store.current, now: SystemClock().seconds, logger: logger)

        let signalQueue = DispatchQueue(label: "anchorage.signals")
        let reload: @Sendable (String, Bool) -> Void = { trigger, onlyIfChanged in
            do {
                let revocationsBefore = store.current.revocations
                if let generation = try store.reload(onlyIfChanged: onlyIfChanged) {
                    metrics.recordReload(succeeded: true)
                    logger.info("configuration reloaded", ["generation": String(generation), "trigger": trigger])
                    health.logWarnings(store.current, now: SystemClock().seconds, logger: logger)
                    RevocationAudit.record(
                        from: revocationsBefore, to: store.current, auditLog: auditLog, logger: logger,
                        clock: SystemClock())
                }
            } catch {
                metrics.recordReload(succeeded: false)
                logger.error(
                    "configuration reload failed; the previous configuration keeps serving",
                    ["trigger": trigger, "error": "\(error)"])
            }
        }
        // inotify notices a change within ConfigurationWatch.settleSeconds; the poll below, what inotify cannot see
        // (network file systems, directories past the kernel's watch limit): every second, or on a tree so large
        // that a check costs more than 20 ms and inotify watches all of it, as often as ReloadPollInterval allows.
        let watch = ConfigurationWatch(roots: [options.pkiDirectory, options.profilesDirectory], queue: signalQueue) {
            reload("file change", true)
        }
        // Ticks every second: the keyring file (outside the watched roots) is checked on each tick, the
        // configuration tree when ReloadPollInterval says its next check is due.
        let nextTreeCheck = Locked(0.0)
        let watcher = DispatchSource.makeTimerSource(queue: signalQueue)
        watcher.schedule(deadline: .now() + ReloadPollInterval.base, repeating: ReloadPollInterval.base)
        watcher.setEventHandler {
            let started = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
            if started >= nextTreeCheck.withLock({ $0 }) {
                reload("file change", true)
                let seconds = Double(DispatchTime.now().uptimeNanoseconds) / 1e9 - started
                let interval = ReloadPollInterval.next(
                    afterCheckTaking: seconds, everyDirectoryWatched: watch?.watchesEveryDirectory ?? false)
                // Half a tick early, so that timer jitter never skips a tick that is due.
                nextTreeCheck.withLock { $0 = started + interval - ReloadPollInterval.base / 2 }
            }
            keyrings.reload(trigger: "file change", onlyIfChanged: true, logger: logger)
            // A rotation without a signal: the path is opened again within a second even with no traffic.
            auditLog.reopenIfMoved()
        }
        // Certificates approach expiry and CRLs go stale without any change on disk: say so daily.
        let daily = DispatchSource.makeTimerSource(queue: signalQueue)
        daily.schedule(deadline: .now() + 86400, repeating: 86400)
        daily.setEventHandler { health.logWarnings(store.current, now: SystemClock().seconds, logger: logger) }

        signalHandler = { signalNumber in
            signalQueue.async {
                if signalNumber == SIGHUP {
                    reload("SIGHUP", false)
                    keyrings.reload(trigger: "SIGHUP", onlyIfChanged: false, logger: logger)
                    auditLog.reopen(trigger: "SIGHUP")
                } else if signalNumber == SIGUSR1 {
                    auditLog.reopen(trigger: "SIGUSR1")
                } else {
                    logger.info("shutting down", ["signal": signalNumber == SIGTERM ? "SIGTERM" : "SIGINT"])
                    Self.stop(server, metricsServer)
                }
            }
        }
        self.logger = logger
        self.store = store
        self.auditLog = auditLog
        self.serverNames = createSession.serverNames
        self.server = server
        self.metricsServer = metricsServer
        self.subjects = subjects
        self.scheme = configuration.tls == nil ? "http" : "https"
        self.watch = watch
        self.watcher = watcher
        self.daily = daily
        self.redis = redis
        self.sharedRevocations = sharedRevocations
    }

    /// Starts the Redis client of `--shared-state`, the revocation poller and the subjects' replicator; logs the
    /// connection's changes (not every failed attempt).
    private static func connectSharedState(
        _ shared: SharedStateOptions.Settings, store: ConfigurationStore, subjects: SubjectStore, auditLog: AuditLog,
        logger: Logger
    ) throws -> (RedisClient, SharedRevocations, SharedSubjects) {
        let endpoint = shared.options.endpoint.description
        let revocationsReference = Locked<SharedRevocations?>(nil)
        let subjectsReference = Locked<SharedSubjects?>(nil)
        let connected = Locked<Bool?>(nil)
        let client: RedisClient
        do {
            client = try RedisClient(shared.options) { event in
                switch event {
                case .connected:
                    connected.withLock { $0 = true }
                    logger.info("shared state connected", ["redis": endpoint])
                    // Redis may have restarted with other data: read the revocations afresh.
                    revocationsReference.withLock { $0 }?.invalidate()
                    subjectsReference.withLock { $0 }?.invalidate()
                case .disconnected(let error):
                    let wasConnected = connected.withLock { state in
                        defer { state = false }
                        return state
                    }
                    if wasConnected != false {
                        logger.warning(
                            "shared state unreachable; retrying with backoff",
                            ["redis": endpoint, "error": error.description, "failureMode": shared.failureMode.rawValue])
                    }
                }
            }
        } catch {
            throw ServeError("--shared-state: \(error)")
        }
        let revocations = SharedRevocations(client: client, store: store, auditLog: auditLog, logger: logger)
        revocationsReference.withLock { $0 = revocations }
        let sharedSubjects = SharedSubjects(client: client, store: subjects, logger: logger)
        subjectsReference.withLock { $0 = sharedSubjects }
        return (client, revocations, sharedSubjects)
    }

    /// Starts the watchers and binds the metrics and API listeners; returns the addresses bound.
    public func start() throws -> Addresses {
        signal(SIGPIPE, SIG_IGN)
        // At a file-size limit (RLIMIT_FSIZE, systemd's LimitFSIZE) the default action kills the process; ignored,
        // the write fails with EFBIG and the audit log fails closed like on a full disk.
        signal(SIGXFSZ, SIG_IGN)
        watcher.resume()
        daily.resume()
        if let sharedRevocations, !sharedRevocations.start() {
            logger.warning(
                "shared state unreachable at start: only the revocations of the files are known until Redis answers")
        }
        let metricsBound: (host: String, port: Int)
        let bound: (host: String, port: Int)
        do {
            metricsBound = try metricsServer.start()
            do {
                bound = try server.start()
            } catch {
                metricsServer.shutdown()
                throw error
            }
        } catch {
            cancelWatchers()
            throw error
        }
        let configurationNow = store.current
        let addresses = Addresses(
            scheme: scheme, host: bound.host, port: bound.port, metricsHost: metricsBound.host,
            metricsPort: metricsBound.port)
        logger.info(
            "serving",
            [
                "address": "\(Self.display(addresses.host)):\(addresses.port)",
                "generation": String(configurationNow.generation),
                "trustAnchors": String(configurationNow.trustAnchors.count),
                "profiles": String(configurationNow.profiles.count), "roles": String(configurationNow.roles.count),
                "metrics": "\(Self.display(addresses.metricsHost)):\(addresses.metricsPort)",
                "serverNames": serverNames.description,
            ])
        return addresses
    }

    /// Hands SIGTERM and SIGINT (stop), SIGHUP (reload, keyring, audit reopen) and SIGUSR1 (audit reopen) to this
    /// application, on the signal thread. Once per process, after ``SignalThread/blockHandledSignals()``.
    public func takeSignals() {
        SignalThread.start(signalHandler)
    }

    /// Drains and stops both listeners, as SIGTERM does.
    public func stop() {
        Self.stop(server, metricsServer)
    }

    /// Blocks until both listeners have stopped, then cancels the watchers.
    public func waitUntilStopped() {
        server.waitUntilStopped()
        metricsServer.waitUntilStopped()
        cancelWatchers()
        do {
            try subjects.stop()
        } catch {
            logger.error("cannot write the subject records", ["error": error.message])
        }
        logger.info("stopped")
    }

    /// A host for a URL: an IPv6 address in brackets.
    static func display(_ host: String) -> String { host.contains(":") ? "[\(host)]" : host }

    private static func stop(_ server: HTTPServer, _ metricsServer: HTTPServer) {
        server.shutdown()
        metricsServer.shutdown(gracePeriod: 1)
    }

    private func cancelWatchers() {
        sharedRevocations?.stop()
        redis?.stop()
        watcher.cancel()
        watch?.cancel()
        daily.cancel()
    }
}
