internal import COpenSSL
internal import CTrustIndex

/// Where OpenSSL looks for trusted certificates when no CA file is given: its default CA file and hashed
/// certificate directory, each overridden by the environment variable OpenSSL names for it (`SSL_CERT_FILE`,
/// `SSL_CERT_DIR`), exactly as `SSL_CTX_set_default_verify_paths` resolves them.
public struct DefaultTrustPaths: Sendable, Equatable {
    /// The CA file (PEM); a missing file trusts nothing from it, as with OpenSSL.
    public var file: String
    /// The hashed directory (`openssl rehash`), or several separated by `:`; a missing one is ignored.
    public var directory: String

    /// Explicit paths.
    public init(file: String, directory: String) {
        self.file = file
        self.directory = directory
    }

    /// OpenSSL's defaults, overridden by `environment`'s variables of the names OpenSSL reports
    /// (`X509_get_default_cert_file_env`, `X509_get_default_cert_dir_env`): a variable that is set counts even
    /// when empty, as in OpenSSL.
    public init(environment: (String) -> String?) {
        func string(_ pointer: UnsafePointer<CChar>) -> String { String(cString: pointer) }
        file = environment(string(X509_get_default_cert_file_env())) ?? string(X509_get_default_cert_file())
        directory = environment(string(X509_get_default_cert_dir_env())) ?? string(X509_get_default_cert_dir())
    }

    /// This process's: its environment read as OpenSSL reads it (`secure_getenv`: ignored in a set-user-ID process).
    public static var process: DefaultTrustPaths {
        DefaultTrustPaths { name in CTrustIndex_secure_getenv(name).map { String(cString: $0) } }
    }
}

/// Loads a client context's trusted certificates without parsing them: see CTrustIndex.c and the article "The
/// client's trust store". OpenSSL's own loader parses every certificate of a CA file up front (some 50 ms for a
/// system bundle on OpenSSL 3.0); this one indexes the file by subject and parses a certificate when a chain asks
/// for it, so that a handshake pays for the one or two certificates it uses. What is trusted is what OpenSSL would
/// have trusted.
enum TrustStore {
    /// Trusts `caFile`, or the default paths when it is nil, in `context`'s store. Returns the file's lazy lookup
    /// (owned by the context); throws, as OpenSSL's loader fails, when `caFile` is unreadable, has a block that does
    /// not decode, or holds no certificate (a default file that fails so is ignored, as OpenSSL ignores it).
    static func load(
        caFile: String?, defaultPaths: @autoclosure () -> DefaultTrustPaths, into context: OpaquePointer
    ) throws -> OpaquePointer {
        guard let store = SSL_CTX_get_cert_store(context) else { throw TLSError.fromQueue("load trusted certificates") }
        if let caFile {
            guard let lookup = CTrustIndex_store_load_file(store, caFile) else {
                throw TLSError.fromQueue("load trusted certificates")
            }
            return lookup
        }
        let paths = defaultPaths()
        guard let lookup = CTrustIndex_store_set_default_paths(store, paths.file, paths.directory) else {
            throw TLSError.fromQueue("load trusted certificates")
        }
        return lookup
    }

    /// Certificates `lookup` indexed, and how many of them it has parsed so far.
    static func counts(_ lookup: OpaquePointer) -> (indexed: Int, parsed: Int) {
        (Int(CTrustIndex_lookup_indexed_count(lookup)), Int(CTrustIndex_lookup_parsed_count(lookup)))
    }

    /// Throws when a certificate the handshake asked for failed to parse: OpenSSL's loader would have refused the
    /// whole file before connecting, so the connection fails with the same error, only later.
    static func checkParsed(_ lookup: OpaquePointer?) throws {
        guard let lookup, CTrustIndex_lookup_failed(lookup) != 0 else { return }
        ERR_clear_error()
        throw TLSError(
            operation: "load trusted certificates",
            details: ["a trusted certificate the chain needed does not parse"])
    }
}
