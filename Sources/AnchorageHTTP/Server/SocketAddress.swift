internal import Glibc

/// A resolved socket address plus the few socket helpers the server and client share.
struct SocketAddress {
    var storage: sockaddr_storage
    var length: socklen_t

    var family: Int32 { Int32(storage.ss_family) }

    /// Resolves `host` (IP literal or name; `localhost` means 127.0.0.1 so clients and servers agree) and `port`.
    static func resolve(host: String, port: Int, passive: Bool) throws -> SocketAddress {
        let name = host == "localhost" ? "127.0.0.1" : host
        let literal = name.hasPrefix("[") && name.hasSuffix("]") ? String(name.dropFirst().dropLast()) : name
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = passive ? AI_PASSIVE : 0
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(literal, String(port), &hints, &result)
        guard status == 0, let info = result else {
            throw HTTPError("cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(result) }
        var address = SocketAddress(storage: sockaddr_storage(), length: info.pointee.ai_addrlen)
        withUnsafeMutableBytes(of: &address.storage) { raw in
            raw.copyMemory(
                from: UnsafeRawBufferPointer(start: info.pointee.ai_addr, count: Int(info.pointee.ai_addrlen)))
        }
        return address
    }

    /// The local address of `fd`.
    static func local(of fd: Int32) -> SocketAddress {
        var address = SocketAddress(storage: sockaddr_storage(), length: socklen_t(MemoryLayout<sockaddr_storage>.size))
        _ = withUnsafeMutablePointer(to: &address.storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &address.length) }
        }
        return address
    }

    /// The IP as text; an IPv4-mapped IPv6 address is shown as plain IPv4.
    var ipString: String {
        var storage = self.storage
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        return withUnsafePointer(to: &storage) { pointer -> String in
            if family == AF_INET {
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                    var addr = sin.pointee.sin_addr
                    inet_ntop(AF_INET, &addr, &text, socklen_t(text.count))
                    return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                }
            }
            return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                var addr = sin6.pointee.sin6_addr
                let bytes = withUnsafeBytes(of: &addr) { Array($0) }
                if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
                    return bytes[12..<16].map(String.init).joined(separator: ".")
                }
                inet_ntop(AF_INET6, &addr, &text, socklen_t(text.count))
                return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
    }

    var port: Int {
        var storage = self.storage
        return withUnsafePointer(to: &storage) { pointer in
            if family == AF_INET {
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    Int(UInt16(bigEndian: $0.pointee.sin_port))
                }
            }
            return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                Int(UInt16(bigEndian: $0.pointee.sin6_port))
            }
        }
    }

    /// Creates a non-blocking listening socket bound to this address, sharing the port with `SO_REUSEPORT`
    /// so each event loop can own a listener and the kernel spreads connections across them.
    func listen(backlog: Int32 = 1024) throws -> Int32 {
        let fd = socket(
            family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HTTPError("socket: \(errnoText())") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size))
        var storage = self.storage
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else {
            let text = errnoText()
            Glibc.close(fd)
            throw HTTPError("bind \(ipString):\(port): \(text)")
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let text = errnoText()
            Glibc.close(fd)
            throw HTTPError("listen: \(text)")
        }
        return fd
    }

    /// Fails when something already listens on this address. `SO_REUSEPORT` would otherwise let a
    /// second server (same user) silently share the port and take half its connections.
    func ensurePortIsFree() throws {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HTTPError("socket: \(errnoText())") }
        defer { Glibc.close(fd) }
        var one: Int32 = 1
        // SO_REUSEADDR still refuses an active listener on Linux; it only ignores TIME_WAIT leftovers.
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var storage = self.storage
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw HTTPError("bind \(ipString):\(port): \(errnoText())") }
    }

    /// This address with `port` replaced.
    func withPort(_ port: Int) -> SocketAddress {
        var copy = self
        withUnsafeMutablePointer(to: &copy.storage) { pointer in
            if family == AF_INET {
                pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    $0.pointee.sin_port = UInt16(port).bigEndian
                }
            } else {
                pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    $0.pointee.sin6_port = UInt16(port).bigEndian
                }
            }
        }
        return copy
    }
}

func errnoText(_ code: Int32 = errno) -> String {
    String(cString: strerror(code))
}
