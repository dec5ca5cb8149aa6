import AnchorageLocking
internal import COpenSSL

/// Keys that stay in a device, reached through an OpenSSL 3 provider and the store API: the tpm2
/// provider's `handle:0x81000001` URIs and `TSS2 PRIVATE KEY` PEM files. The `PrivateKey` returned signs
/// through the provider (the TPM signs), like any other key.
extension PrivateKey {
    /// Loads `provider` (once per process, beside OpenSSL's default provider) and the private key at `uri`.
    /// `password` is asked for only when the key needs one (its authorisation value); nil refuses. The
    /// password is copied only into the buffer OpenSSL hands the callback; no Swift copy of it is made.
    public static func loadFromStore(
        uri: String, provider: String, password: @escaping () -> PINBytes?
    ) throws(CryptoError) -> PrivateKey {
        ERR_clear_error()
        try ProviderRegistry.load(provider)
        final class PasswordBox {
            let provide: () -> PINBytes?
            var asked = false
            init(_ provide: @escaping () -> PINBytes?) { self.provide = provide }
        }
        let box = PasswordBox(password)
        let callback: @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32 = {
            buffer, size, _, context in
            guard let buffer, let context, size > 0 else { return -1 }
            let box = Unmanaged<PasswordBox>.fromOpaque(context).takeUnretainedValue()
            box.asked = true
            guard let password = box.provide(), password.count <= Int(size) else { return -1 }
            password.withBytes { source in
                if let base = source.baseAddress {
                    UnsafeMutableRawPointer(buffer).copyMemory(from: base, byteCount: source.count)
                }
            }
            return Int32(password.count)
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

    /// Whether the key of a `TSS2 PRIVATE KEY` PEM file has no password: the file's `emptyAuth`, in
    /// `TPMKey ::= SEQUENCE { type OBJECT IDENTIFIER, emptyAuth [0] EXPLICIT BOOLEAN OPTIONAL, … }`
    /// (absent: false, the key has one). Only the fields up to `emptyAuth` are read, and only a loadable key
    /// (type 2.23.133.10.1.3) is accepted; the provider parses the rest when it loads the key. Any non-zero
    /// BOOLEAN is true, since the OpenSSL engines that made such files once wrote 0x01.
    public static func tss2KeyHasEmptyAuth(pemBytes: [UInt8]) throws(CryptoError) -> Bool {
        guard let blocks = pemBlocks(pemBytes, label: "TSS2 PRIVATE KEY"), blocks.count == 1 else {
            throw CryptoError("not exactly one well-formed TSS2 PRIVATE KEY PEM block")
        }
        guard let key = DERElement(blocks[0][...]), key.tag == 0x30, let type = DERElement(key.content),
            type.tag == 0x06
        else {
            throw CryptoError("the TSS2 PRIVATE KEY block is not a DER TPMKey sequence")
        }
        guard type.content.elementsEqual(loadableKeyType) else {
            throw CryptoError("the TSS2 key is not a loadable key (type 2.23.133.10.1.3)")
        }
        guard let field = DERElement(type.rest) else {
            throw CryptoError("the TSS2 key's fields after its type are not DER")
        }
        guard field.tag == 0xA0 else { return false }
        guard let flag = DERElement(field.content), flag.tag == 0x01, flag.content.count == 1 else {
            throw CryptoError("the TSS2 key's emptyAuth is not a BOOLEAN")
        }
        return flag.content.first != 0
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

/// 2.23.133.10.1.3, id-loadablekey, as DER content bytes.
private let loadableKeyType: [UInt8] = [0x67, 0x81, 0x05, 0x0A, 0x01, 0x03]

/// The first DER element of some bytes, and what follows it. Single-byte tags and definite lengths of up to
/// three length bytes only: a TSS2 key file uses no other forms.
private struct DERElement {
    let tag: UInt8
    let content: ArraySlice<UInt8>
    let rest: ArraySlice<UInt8>

    /// Nil when `bytes` is truncated or uses another form.
    init?(_ bytes: ArraySlice<UInt8>) {
        var index = bytes.startIndex
        guard bytes.count >= 2, bytes[index] & 0x1F != 0x1F else { return nil }
        tag = bytes[index]
        index += 1
        var length = Int(bytes[index])
        index += 1
        if length & 0x80 != 0 {
            let count = length & 0x7F
            guard (1...3).contains(count), bytes.endIndex - index >= count else { return nil }
            length = 0
            for _ in 0..<count {
                length = length << 8 | Int(bytes[index])
                index += 1
            }
        }
        guard bytes.endIndex - index >= length else { return nil }
        content = bytes[index..<index + length]
        rest = bytes[(index + length)...]
    }
}
