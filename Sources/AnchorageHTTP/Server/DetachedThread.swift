internal import Glibc

/// Starts a POSIX thread (default attributes, detached) that runs `body` once: what the server's loops and
/// its commit thread run on. A plain pthread rather than Foundation's `Thread`, so that this target, which
/// `anchorage-helper` links too, needs no Foundation (and the helper loads none at start).
enum DetachedThread {
    /// Runs `body` on a new thread; fails only when the system refuses one (resource limits).
    static func start(_ body: @escaping @Sendable () -> Void) throws(HTTPError) {
        let box = Unmanaged.passRetained(Body(body)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(
            &thread, nil,
            { argument in
                let body = Unmanaged<Body>.fromOpaque(argument!).takeRetainedValue()
                body.run()
                return nil
            }, box)
        guard status == 0 else {
            Unmanaged<Body>.fromOpaque(box).release()
            throw HTTPError("cannot start a thread: \(String(cString: strerror(status)))")
        }
        pthread_detach(thread)
    }

    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }
}
