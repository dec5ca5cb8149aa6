import Foundation

/// A `redis-server` on 127.0.0.1, started by a test with its data in a temporary folder (append-only file
/// on, so a restart keeps the data; `maxmemory-policy noeviction`, as Replicas.md asks).
///
/// Missing `redis-server` is a failure with the install command, never a skip (Tests/run-all installs it).
public final class RedisServer: @unchecked Sendable {
    public let port: Int
    public let directory: TemporaryDirectory
    private var process: Process?
    private let lock = NSLock()

    /// The executable, or a failure that says how to install it.
    public static func executable() throws -> String {
        for candidate in ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        throw TestFailure("redis-server is not installed; `apt-get install redis-server` (Tests/run-all does)")
    }

    /// TLS files for `rediss://`: the server's certificate chain and key, and the CA that clients must trust.
    public struct TLSFiles: Sendable {
        public var certificate: String
        public var key: String
        public var ca: String
        public init(certificate: String, key: String, ca: String) {
            self.certificate = certificate
            self.key = key
            self.ca = ca
        }
    }

    /// Starts a server on a free port and waits until it accepts connections; with `tls`, the port speaks
    /// only TLS (clients are not asked for a certificate).
    public init(password: String? = nil, tls: TLSFiles? = nil) throws {
        directory = TemporaryDirectory()
        port = try Self.freePort()
        self.password = password
        self.tls = tls
        try start()
    }

    private let password: String?
    private let tls: TLSFiles?

    /// `redis://127.0.0.1:PORT` (`rediss://` with TLS).
    public var url: String { "\(tls == nil ? "redis" : "rediss")://127.0.0.1:\(port)" }

    /// Starts the server again (after ``stop()`` or ``kill()``) on the same port, with the same data.
    public func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.executable())
        var arguments =
            tls.map {
                [
                    "--port", "0", "--tls-port", String(port), "--tls-cert-file", $0.certificate, "--tls-key-file",
                    $0.key,
                    "--tls-ca-cert-file", $0.ca, "--tls-auth-clients", "no",
                ]
            } ?? ["--port", String(port)]
        arguments += [
            "--bind", "127.0.0.1", "--dir", directory.path, "--appendonly", "yes",
            "--save", "", "--maxmemory-policy", "noeviction", "--daemonize", "no", "--loglevel", "warning",
        ]
        if let password { arguments += ["--requirepass", password] }
        process.arguments = arguments
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try runWithDefaultSignalMask(process)
        ServerRegistry.shared.register(process)
        lock.withLock { self.process = process }
        let deadline = Date().addingTimeInterval(20)
        while !Self.accepts(port: port) {
            guard process.isRunning, Date() < deadline else {
                throw TestFailure("redis-server did not start on port \(port)")
            }
            usleep(10_000)
        }
    }

    /// Stops the server with SIGTERM (it writes its data) and waits for it to exit.
    public func stop() { signal(SIGTERM) }

    /// Kills the server with SIGKILL.
    public func kill() { signal(SIGKILL) }

    private func signal(_ number: Int32) {
        guard let process = lock.withLock({ self.process }) else { return }
        if process.isRunning { Foundation.kill(process.processIdentifier, number) }
        process.waitUntilExit()
        ServerRegistry.shared.unregister(process)
        lock.withLock { self.process = nil }
    }

    deinit { kill() }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    public static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// A port the kernel just handed out (and took back): free, barring a race with another binder.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw TestFailure("bind failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
