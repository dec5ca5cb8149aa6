import AnchorageLocking
internal import COpenSSL

/// Keys that stay in a device, reached through an OpenSSL 3 provider and the store API: the tpm2
/// provider's `handle:0x81000001` URIs and `TSS2 PRIVATE KEY` PEM files. The `PrivateKey` returned signs
/// through the provider (the TPM signs), like any other key.
extension PrivateKey {
    /// Loads `provider` (once per process, beside OpenSSL's default provider) and the private key at `uri`.
    /// `password` is asked for only when the key needs one (its authorisation value); nil refuses.
    public static func loadFromStore(
        uri: String, provider: String, password: @escaping () -> [UInt8]?
    ) throws(CryptoError) -> PrivateKey {
        ERR_clear_error()
        try ProviderRegistry.load(provider)
        final class PasswordBox {
            let provide: () -> [UInt8]?
            var asked = false
            init(_ provide: @escaping () -> [UInt8]?) { self.provide = provide }
        }
        let box = PasswordBox(password)
        let callback: @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32 = {
            buffer, size, _, context in
            guard let buffer, let context, size > 0 else { return -1 }
            let box = Unmanaged<PasswordBox>.fromOpaque(context).takeUnretainedValue()
            box.asked = true
            guard let bytes = box.provide(), bytes.count <= Int(size) else { return -1 }
            bytes.withUnsafeBufferPointer { source in
                UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress!, byteCount: source.count)
            }
            return Int32(bytes.count)
        }
        guard let method = UI_UTIL_wrap_read_pem_callback(callback, 0) else {
            throw CryptoError.drainingQueue("cannot create the password callback")
        }
        defer { UI_destroy_method(method) }
        let context = Unmanaged.passRetained(box)
        defer { context.release() }
        guard let store = OSSL_STORE_open_ex(uri, nil, nil, method, context.toOpaque(), nil, nil, nil) else {
            throw CryptoError.drainingQueue("cannot open \(uri)")
        }
        defer { OSSL_STORE_close(store) }
        _ = OSSL_STORE_expect(store, OSSL_STORE_INFO_PKEY)
        while OSSL_STORE_eof(store) == 0 {
            guard let info = OSSL_STORE_load(store) else {
                if OSSL_STORE_error(store) == 1 { break }
                continue
            }
            defer { OSSL_STORE_INFO_free(info) }
            if OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_PKEY, let key = OSSL_STORE_INFO_get1_PKEY(info) {
                ERR_clear_error()
                return PrivateKey(takingOwnershipOf: key)
            }
        }
        throw CryptoError.drainingQueue(
            box.asked ? "cannot load the key from \(uri) (wrong password?)" : "no private key in \(uri)")
    }

    /// Whether the key lives in a provider other than OpenSSL's default (a device key).
    public var providerName: String? {
        guard let provider = EVP_PKEY_get0_provider(pointer), let name = OSSL_PROVIDER_get0_name(provider) else {
            return nil
        }
        return String(cString: name)
    }
}

/// Providers loaded into the default library context, kept for the process.
enum ProviderRegistry {
    private static let loaded = Locked<[String: OpaquePointer]>([:])

    static func load(_ name: String) throws(CryptoError) {
        try loaded.withLock { (providers) throws(CryptoError) in
            // Loading any provider explicitly stops OpenSSL from loading the default one on demand.
            for wanted in ["default", name] where providers[wanted] == nil {
                guard let provider = OSSL_PROVIDER_load(nil, wanted) else {
                    throw CryptoError.drainingQueue("cannot load the OpenSSL provider \"\(wanted)\"")
                }
                providers[wanted] = provider
            }
        }
    }
}
