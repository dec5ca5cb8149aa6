internal import COpenSSL

/// How OpenSSL's global state ends with the process.
public enum OpenSSLLifetime {
    /// Keeps OpenSSL from freeing its global state in an `atexit` handler. Call it first in `main`,
    /// before anything else touches OpenSSL: the first initialisation decides.
    ///
    /// By default OpenSSL registers `OPENSSL_cleanup` with `atexit`. That handler assumes no other
    /// thread is still inside OpenSSL, but a thread that has just finished its last request is still
    /// running OpenSSL's per-thread destructors while `main` returns; the cleanup then frees locks
    /// those destructors wait on, and the process can hang after its last log line (seen once in CI:
    /// `serve` logged "stopped" and never exited). The kernel reclaims the memory anyway
    /// (openssl/openssl#6214).
    public static func skipCleanupAtExit() {
        _ = OPENSSL_init_crypto(UInt64(OPENSSL_INIT_NO_ATEXIT), nil)
    }
}
