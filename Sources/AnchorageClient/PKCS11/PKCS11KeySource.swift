public import AnchorageCrypto
import AnchorageLocking
import Glibc

/// A certificate and key held on a PKCS#11 token, named by `pkcs11:` URIs as `aws_signing_helper` takes
/// them: the module is loaded on first use, the session stays open and logged in for the process (so
/// `update` and `serve` refresh without asking again), and the key never leaves the token.
public final class PKCS11KeySource: @unchecked Sendable, Equatable {
    /// `--certificate pkcs11:…`, when the certificate is on the token.
    public let certificateURI: PKCS11URI?
    /// `--private-key pkcs11:…`; without it the key is the one whose `CKA_ID` (else label) is the certificate's.
    public let keyURI: PKCS11URI?
    /// `--pkcs11-lib`; else the URI's `module-path`; else p11-kit's proxy module.
    public let libraryPath: String?
    /// `--reuse-pin`: answer a key's context-specific login (`CKA_ALWAYS_AUTHENTICATE`) with the user PIN
    /// instead of asking again, and log in again with it if the token drops the session.
    public let reusePin: Bool
    /// Asks the user for a PIN (the terminal, not echoed); nil when nobody can be asked.
    let askPIN: @Sendable (String) -> [UInt8]?

    struct State {
        var module: PKCS11Module?
        var slot: UInt?
        var session: UInt?
        var loggedIn = false
        var pin: [UInt8]?
    }
    private let state = Locked(State())

    public init(
        certificateURI: PKCS11URI?, keyURI: PKCS11URI?, libraryPath: String?, reusePin: Bool,
        askPIN: @escaping @Sendable (String) -> [UInt8]? = TerminalPIN.ask
    ) {
        self.certificateURI = certificateURI
        self.keyURI = keyURI
        self.libraryPath = libraryPath
        self.reusePin = reusePin
        self.askPIN = askPIN
    }

    deinit {
        state.withLock { state in
            if let session = state.session { state.module?.closeSession(session) }
            if var pin = state.pin { for index in pin.indices { pin[index] = 0 } }
        }
    }

    public static func == (lhs: PKCS11KeySource, rhs: PKCS11KeySource) -> Bool { lhs === rhs }

    /// p11-kit's proxy, which fronts every module registered with p11-kit (the official helper's default).
    static let proxyCandidates = [
        "p11-kit-proxy.so", "/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so", "/usr/lib/aarch64-linux-gnu/p11-kit-proxy.so",
        "/usr/lib64/p11-kit-proxy.so", "/usr/lib/p11-kit-proxy.so",
    ]

    // CKA_ and CKO_ values used here.
    static let attrClass: UInt = 0x0, attrLabel: UInt = 0x3, attrValue: UInt = 0x11, attrKeyType: UInt = 0x100
    static let attrID: UInt = 0x102, attrAlwaysAuthenticate: UInt = 0x202
    static let classCertificate: UInt = 1, classPrivateKey: UInt = 3

    /// The certificate (from the token, or `fileCertificate`) and the token key that matches it.
    public func load(fileCertificate: Certificate?) throws(HelperError) -> (Certificate, any SigningKey) {
        try state.withLock { (state) throws(HelperError) -> (Certificate, any SigningKey) in
            do throws(HelperError) {
                return try loadLocked(fileCertificate: fileCertificate, &state)
            } catch {
                // Start afresh at the next refresh (a token removed and put back, a session the module dropped).
                if let session = state.session { state.module?.closeSession(session) }
                state.session = nil
                state.loggedIn = false
                throw error
            }
        }
    }

    private func loadLocked(fileCertificate: Certificate?, _ state: inout State) throws(HelperError) -> (
        Certificate, any SigningKey
    ) {
        let module = try loadModule(&state)
        let session = try openSession(module, &state)
        var certificate = fileCertificate
        var certificateObject: (id: [UInt8]?, label: [UInt8]?)?
        if let certificateURI {
            var found = try certificates(module, session, matching: certificateURI)
            if found.isEmpty, let slot = state.slot, try module.tokenInfo(slot: slot).loginRequired {
                try login(module, session, &state)
                found = try certificates(module, session, matching: certificateURI)
            }
            guard let first = found.first else {
                throw HelperError(
                    "no certificate on the token matches \(PKCS11URI.redacted(describe(certificateURI)))")
            }
            guard found.count == 1 else {
                throw HelperError(
                    "\(found.count) certificates on the token match the certificate URI; add object= or id= to choose one"
                )
            }
            certificate = first.certificate
            certificateObject = (first.id, first.label)
        }
        guard let certificate else { throw HelperError.usage("--certificate is required") }
        let publicKey: PublicKey
        do { publicKey = try certificate.publicKey } catch {
            throw HelperError("cannot read the certificate's public key: \(error)")
        }
        try login(module, session, &state)
        var template: [(UInt, PKCS11Module.TemplateValue)] = [(Self.attrClass, .ulong(Self.classPrivateKey))]
        if let keyURI {
            if let object = keyURI.object { template.append((Self.attrLabel, .bytes(Array(object.utf8)))) }
            if let id = keyURI.id { template.append((Self.attrID, .bytes(id))) }
        } else if let id = certificateObject?.id, !id.isEmpty {
            template.append((Self.attrID, .bytes(id)))
        } else if let label = certificateObject?.label, !label.isEmpty {
            template.append((Self.attrLabel, .bytes(label)))
        }
        let candidates = try module.findObjects(session, template)
        guard !candidates.isEmpty else {
            throw HelperError(
                keyURI.map { "no private key on the token matches \(PKCS11URI.redacted(describe($0)))" }
                    ?? "no private key on the token has the certificate's id or label")
        }
        for object in candidates {
            let keyType = try module.attribute(session, object: object, type: Self.attrKeyType)
                .map { bytes in bytes.count == 8 ? bytes.withUnsafeBytes { $0.load(as: UInt.self) } : UInt.max }
            guard let keyType, keyType == 0 || keyType == 3 else { continue }  // CKK_RSA, CKK_EC
            let always = try module.attribute(session, object: object, type: Self.attrAlwaysAuthenticate)
            let key = PKCS11SigningKey(
                source: self, object: object, isRSA: keyType == 0, alwaysAuthenticate: always?.first == 1)
            // The token's key must be the certificate's: sign a probe and verify it with the certificate.
            let probe = Array("anchorage-helper key match probe".utf8)
            let signature = try key.signLocked(
                probe, digestName: "SHA256", module: module, session: session, &state)
            if publicKey.verifySHA256Signature(signature, over: probe) { return (certificate, key) }
        }
        throw HelperError("no RSA or EC private key on the token matches the certificate")
    }

    private func describe(_ uri: PKCS11URI) -> String {
        var parts: [String] = []
        if let token = uri.token { parts.append("token=\(token)") }
        if let slot = uri.slotID { parts.append("slot-id=\(slot)") }
        if let object = uri.object { parts.append("object=\(object)") }
        if let id = uri.id { parts.append("id=\(Hex.encode(id))") }
        return "pkcs11:" + parts.joined(separator: ";")
    }

    private func loadModule(_ state: inout State) throws(HelperError) -> PKCS11Module {
        if let module = state.module { return module }
        let named = libraryPath ?? keyURI?.modulePath ?? certificateURI?.modulePath
        let module: PKCS11Module
        if let named {
            module = try PKCS11Module(path: named)
        } else {
            var loaded: PKCS11Module?
            var firstError: HelperError?
            for candidate in Self.proxyCandidates {
                do {
                    loaded = try PKCS11Module(path: candidate)
                    break
                } catch {
                    if firstError == nil { firstError = error }
                }
            }
            guard let loaded else {
                throw HelperError(
                    "no --pkcs11-lib given and p11-kit's proxy module (p11-kit-proxy.so) cannot be loaded: "
                        + (firstError?.message ?? ""))
            }
            module = loaded
        }
        state.module = module
        return module
    }

    /// The one token both URIs select, and a session on it (kept for the process).
    private func openSession(_ module: PKCS11Module, _ state: inout State) throws(HelperError) -> UInt {
        if let session = state.session { return session }
        var matches: [(UInt, PKCS11Module.TokenInfo)] = []
        var seen: [String] = []
        for slot in try module.slotsWithToken() {
            let info = try module.tokenInfo(slot: slot)
            seen.append(info.label)
            let uris = [certificateURI, keyURI].compactMap { $0 }
            let selected = uris.allSatisfy { uri in
                (uri.slotID == nil || uri.slotID == slot) && (uri.token == nil || uri.token == info.label)
                    && (uri.manufacturer == nil || uri.manufacturer == info.manufacturer)
                    && (uri.serial == nil || uri.serial == info.serial) && (uri.model == nil || uri.model == info.model)
            }
            if selected { matches.append((slot, info)) }
        }
        guard let (slot, _) = matches.first else {
            let available =
                seen.isEmpty ? "none" : seen.map { "\"\(TerminalText.escaped($0))\"" }.joined(separator: ", ")
            throw HelperError("no PKCS#11 token matches the URI (tokens present: \(available))")
        }
        guard matches.count == 1 else {
            throw HelperError("\(matches.count) PKCS#11 tokens match the URI; add token= or slot-id= to choose one")
        }
        let session = try module.openSession(slot: slot)
        state.slot = slot
        state.session = session
        state.loggedIn = false
        return session
    }

    private func certificates(_ module: PKCS11Module, _ session: UInt, matching uri: PKCS11URI) throws(HelperError)
        -> [(certificate: Certificate, id: [UInt8]?, label: [UInt8]?)]
    {
        var template: [(UInt, PKCS11Module.TemplateValue)] = [(Self.attrClass, .ulong(Self.classCertificate))]
        if let object = uri.object { template.append((Self.attrLabel, .bytes(Array(object.utf8)))) }
        if let id = uri.id { template.append((Self.attrID, .bytes(id))) }
        var result: [(certificate: Certificate, id: [UInt8]?, label: [UInt8]?)] = []
        for object in try module.findObjects(session, template) {
            guard let der = try module.attribute(session, object: object, type: Self.attrValue),
                let certificate = try? Certificate(derBytes: der)
            else { continue }
            result.append(
                (
                    certificate, try module.attribute(session, object: object, type: Self.attrID),
                    try module.attribute(session, object: object, type: Self.attrLabel)
                ))
        }
        return result
    }

    /// Logs the session in as the user, once: the PIN comes from the URI (`pin-value`, `pin-source`), else
    /// the terminal. A wrong PIN or a locked token is an error before anything is signed or sent.
    private func login(_ module: PKCS11Module, _ session: UInt, _ state: inout State) throws(HelperError) {
        guard !state.loggedIn, let slot = state.slot else { return }
        let info = try module.tokenInfo(slot: slot)
        guard info.loginRequired else {
            state.loggedIn = true
            return
        }
        let label = TerminalText.escaped(info.label)
        if info.pinLocked { throw HelperError("the PKCS#11 token \"\(label)\" is locked (user PIN locked)") }
        var pin = state.pin
        if pin == nil { pin = try pinFromURIs() }
        if pin == nil { pin = askPIN("PIN for the PKCS#11 token \"\(label)\": ") }
        guard let given = pin else {
            throw HelperError(
                "the PKCS#11 token \"\(label)\" needs a PIN and none was typed (no terminal, or its input ended): "
                    + "add pin-value or pin-source to the URI, or type it at the terminal"
            )
        }
        let rv = module.login(session, userType: 1, pin: given)
        switch rv {
        case 0, 0x100:  // CKR_OK, CKR_USER_ALREADY_LOGGED_IN
            state.loggedIn = true
            if reusePin { state.pin = given }
        case 0xA0, 0xA1:  // CKR_PIN_INCORRECT, CKR_PIN_INVALID
            throw HelperError("wrong PIN for the PKCS#11 token \"\(label)\"")
        case 0xA4:
            throw HelperError("the PKCS#11 token \"\(label)\" is locked (user PIN locked)")
        default:
            throw HelperError("cannot log in to the PKCS#11 token \"\(label)\" (\(PKCS11Module.name(of: rv)))")
        }
    }

    private func pinFromURIs() throws(HelperError) -> [UInt8]? {
        for uri in [keyURI, certificateURI].compactMap({ $0 }) {
            if let value = uri.pinValue { return Array(value.utf8) }
            if let source = uri.pinSource {
                let path = source.hasPrefix("file:") ? String(source.dropFirst("file:".count)) : source
                let bytes = try readFile(path, what: "PIN (pin-source)")
                return Array(bytes.prefix { $0 != 0x0A && $0 != 0x0D })
            }
        }
        return nil
    }

    /// Signs with the token key `key` (for `PKCS11SigningKey.sign`).
    func sign(_ key: PKCS11SigningKey, _ message: [UInt8], digestName: String) throws(HelperError) -> [UInt8] {
        try state.withLock { (state) throws(HelperError) -> [UInt8] in
            guard let module = state.module, let session = state.session else {
                throw HelperError("the PKCS#11 session is closed")
            }
            return try key.signLocked(message, digestName: digestName, module: module, session: session, &state)
        }
    }

    /// The PIN for a key's context-specific login: the user PIN with `--reuse-pin`, else asked for.
    func contextPIN(_ state: inout State) throws(HelperError) -> [UInt8] {
        if reusePin, let pin = state.pin { return pin }
        if let pin = try pinFromURIs(), reusePin { return pin }
        guard let pin = askPIN("PIN for the PKCS#11 private key: ") else {
            throw HelperError(
                "the PKCS#11 private key asks for its PIN at every use: pass --reuse-pin or run from a terminal")
        }
        return pin
    }
}

/// A private key on a PKCS#11 token: ECDSA (`CKM_ECDSA` over the digest, the raw `r‖s` re-encoded as DER)
/// or RSA PKCS#1 v1.5 (`CKM_RSA_PKCS` over the DigestInfo).
final class PKCS11SigningKey: SigningKey, @unchecked Sendable {
    private let source: PKCS11KeySource
    let object: UInt
    let isRSA: Bool
    let alwaysAuthenticate: Bool

    init(source: PKCS11KeySource, object: UInt, isRSA: Bool, alwaysAuthenticate: Bool) {
        self.source = source
        self.object = object
        self.isRSA = isRSA
        self.alwaysAuthenticate = alwaysAuthenticate
    }

    func signature(of message: [UInt8], digestName: String) throws(HelperError) -> [UInt8] {
        try source.sign(self, message, digestName: digestName)
    }

    /// DER `DigestInfo` prefixes (RFC 8017 §9.2 note 1).
    static let digestInfoPrefix: [String: [UInt8]] = [
        "SHA256": [
            0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04,
            0x20,
        ],
        "SHA384": [
            0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04,
            0x30,
        ],
        "SHA512": [
            0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04,
            0x40,
        ],
    ]

    func signLocked(
        _ message: [UInt8], digestName: String, module: PKCS11Module, session: UInt,
        _ state: inout PKCS11KeySource.State
    ) throws(HelperError) -> [UInt8] {
        let name = digestName.uppercased()
        guard let prefix = Self.digestInfoPrefix[name], let digest = Digest.hash(message, name: name) else {
            throw HelperError("unsupported digest \(digestName)")
        }
        let mechanism: UInt = isRSA ? 0x1 : 0x1041  // CKM_RSA_PKCS, CKM_ECDSA
        let initRV = module.signInit(session, mechanism: mechanism, key: object)
        guard initRV == 0 else {
            throw HelperError("the PKCS#11 token refused to sign (C_SignInit: \(PKCS11Module.name(of: initRV)))")
        }
        if alwaysAuthenticate {
            let pin = try source.contextPIN(&state)
            let rv = module.login(session, userType: 2, pin: pin)  // CKU_CONTEXT_SPECIFIC
            guard rv == 0 else {
                throw HelperError(
                    rv == 0xA0
                        ? "wrong PIN for the PKCS#11 private key"
                        : "the PKCS#11 private key's login failed (\(PKCS11Module.name(of: rv)))")
            }
        }
        let signature = try module.sign(session, data: isRSA ? prefix + digest : digest)
        return isRSA ? signature : try Self.derECDSA(raw: signature)
    }

    /// `r‖s` (each half the signature) as the DER `SEQUENCE { INTEGER r, INTEGER s }` SigV4 carries.
    static func derECDSA(raw: [UInt8]) throws(HelperError) -> [UInt8] {
        guard !raw.isEmpty, raw.count % 2 == 0, raw.count <= 132 else {
            throw HelperError("the PKCS#11 token returned a malformed ECDSA signature (\(raw.count) bytes)")
        }
        func integer(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
            var value = Array(bytes.drop { $0 == 0 })
            if value.isEmpty { value = [0] }
            if value[0] & 0x80 != 0 { value.insert(0, at: 0) }
            return [0x02] + length(value.count) + value
        }
        func length(_ count: Int) -> [UInt8] { count < 0x80 ? [UInt8(count)] : [0x81, UInt8(count)] }
        let half = raw.count / 2
        let body = integer(raw[..<half]) + integer(raw[half...])
        return [0x30] + length(body.count) + body
    }
}
