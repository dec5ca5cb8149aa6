import AnchorageBasics
import Foundation

/// nginx (from the distribution) serving a fixed 200 over mutual TLS on 127.0.0.1, as the reference for
/// the cost of a TLS handshake: the issue compares our server CPU per new-connection CreateSession with
/// what nginx spends on one mutual-TLS handshake on the same machine.
final class NginxProcess: CPUAccounted, @unchecked Sendable {
    let process: Process
    let port: Int
    let directory: URL

    /// `/usr/sbin/nginx` or the first `nginx` on `PATH`, when installed.
    static func locate(_ explicit: String?) -> String? {
        if let explicit { return explicit }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in ["/usr/sbin"] + path.split(separator: ":").map(String.init) {
            let candidate = directory + "/nginx"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Starts `binary` with `workers` worker processes, the server certificate and key the benchmark gives
    /// `anchorage serve`, and client certificates required and verified against `clientCA`.
    static func start(
        binary: String, workers: Int, certificate: URL, key: URL, clientCA: URL, work: URL
    ) throws -> NginxProcess {
        let directory = work.appendingPathComponent("nginx")
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("logs"), withIntermediateDirectories: true)
        let port = try freeLoopbackPort()
        let configuration = """
            worker_processes \(workers);
            daemon off;
            master_process on;
            pid \(directory.path)/nginx.pid;
            error_log \(directory.path)/logs/error.log warn;
            events { worker_connections 1024; }
            http {
                access_log off;
                client_body_temp_path \(directory.path)/body;
                proxy_temp_path \(directory.path)/proxy;
                fastcgi_temp_path \(directory.path)/fastcgi;
                uwsgi_temp_path \(directory.path)/uwsgi;
                scgi_temp_path \(directory.path)/scgi;
                server {
                    listen 127.0.0.1:\(port) ssl;
                    ssl_certificate \(certificate.path);
                    ssl_certificate_key \(key.path);
                    ssl_protocols TLSv1.2 TLSv1.3;
                    ssl_session_cache off;
                    ssl_session_tickets off;
                    ssl_client_certificate \(clientCA.path);
                    ssl_verify_client on;
                    location / { return 200 "ok"; }
                }
            }

            """
        let configurationFile = directory.appendingPathComponent("nginx.conf")
        try configuration.write(to: configurationFile, atomically: false, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "-p", directory.path, "-c", configurationFile.path, "-e", directory.path + "/logs/error.log",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let nginx = NginxProcess(process: process, port: port, directory: directory)
        let deadline = MonotonicTime.seconds + 10
        while MonotonicTime.seconds < deadline {
            if !process.isRunning {
                let log = (try? String(contentsOf: directory.appendingPathComponent("logs/error.log"), encoding: .utf8))
                throw BenchmarkError("nginx exited with \(process.terminationStatus): \(log ?? "")")
            }
            if nginx.workerPIDs.count >= workers, canConnect(port: port) { return nginx }
            usleep(10_000)
        }
        nginx.stop()
        throw BenchmarkError("nginx did not start listening on 127.0.0.1:\(port) within 10 s")
    }

    private init(process: Process, port: Int, directory: URL) {
        self.process = process
        self.port = port
        self.directory = directory
    }

    /// The worker processes (children of the master).
    var workerPIDs: [Int32] {
        let master = process.processIdentifier
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { procStatFields($0)?.parent == master }
    }

    /// CPU seconds of the master and all its workers.
    var cpuSeconds: Double {
        ([process.processIdentifier] + workerPIDs).reduce(0) { $0 + processCPUSeconds($1) }
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = MonotonicTime.seconds + 10
        while process.isRunning, MonotonicTime.seconds < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// An unused TCP port on 127.0.0.1 (bound, read back, released).
    static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchmarkError("socket: \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw BenchmarkError("cannot find a free port: \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
