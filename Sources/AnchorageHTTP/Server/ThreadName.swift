internal import CSystemShims

/// Names the calling thread as `top -H`, `ps -L` and `perf` show it.
///
/// Foundation's `Thread.name` does not reach the kernel on Linux, so a server's threads all showed as the
/// process name. The kernel keeps at most 15 bytes.
public enum ThreadName {
    /// Sets the calling thread's kernel name to (at most the first 15 bytes of) `name`.
    public static func setCurrent(_ name: String) {
        _ = CSystemShims_set_thread_name(String(decoding: name.utf8.prefix(15), as: UTF8.self))
    }
}
