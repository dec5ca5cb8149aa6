public import AnchorageCrypto
import AnchorageLocking
import Glibc

/// A certificate and key held on a PKCS#11 token, named by `pkcs11:` URIs as `aws_signing_helper` takes
/// them: the module is loaded on first use, the key's session stays open and logged in for the process (so
/// `update` and `serve` refresh without asking again), and the key never leaves the token.
///
/// Tokens are chosen as the official helper chooses them (draft-woodhouse-cert-best-practice §8): every
/// token the certificate URI matches is searched for the certificate without logging in; only when that
/// finds none and exactly one token matches is that token logged in to and searched again. The key is then
/// looked for on the one token the key URI (else the certificate URI) matches, or, when it matches several,
/// on the certificate's token.
public final class PKCS11KeySource: @unchecked Sendable, Equatable {
    /// `--certificate pkcs11:…`, when the certificate is on the token.
    public let certificateURI: PKCS11URI?
    /// `--private-key pkcs11:…`; without it the key is looked for with the certificate URI, its `object` and
    /// `id` replaced by the certificate's `CKA_LABEL` and `CKA_ID` (then by the `CKA_ID` alone).
    public let keyURI: PKCS11URI?
    /// `--pkcs11-lib`; else the URI's `module-path`; else p11-kit's proxy module.
    public let libraryPath: String?
    /// `--reuse-pin`: answer a key's context-specific login (`CKA_ALWAYS_AUTHENTICATE`) with the user PIN
    /// instead of asking, and log in again with it if the token drops the session.
    public let reusePin: Bool
    /// Asks the user for a PIN (the terminal, not echoed); nil when nobody can be asked.
    let askPIN: @Sendable (String) throws(HelperError) -> [UInt8]?

    struct State {
        var module: PKCS11Module?
        /// The key's slot and the session on it, kept for the process.
        var slot: UInt?
        var session: UInt?
        var loggedIn = false
        /// The user PIN, kept with `--reuse-pin`.
        var pin: PINBytes?
        /// The key's context-specific PIN once typed: asked once per process, as the official helper does.
        var keyPIN: PINBytes?
    }
    private let state = Locked(State())

    public init(
        certificateURI: PKCS11URI?, keyURI: PKCS11URI?, libraryPath: String?, reusePin: Bool,
        askPIN: @escaping @Sendable (String) throws(HelperError) -> [UInt8]? = TerminalPIN.read
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
            // PINBytes zero their memory when released.
            state.pin = nil
            state.keyPIN = nil
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
        guard certificateURI != nil || fileCertificate != nil else {
            throw HelperError.usage("--certificate is required")
        }
        let (certificate, key) = try loadKey(fileCertificate: fileCertificate)
        guard let certificate else { throw HelperError.usage("--certificate is required") }
        return (certificate, key)
    }

    /// The token key, and the certificate when there is one (a `pkcs11:` certificate URI, or
    /// `fileCertificate`); without a certificate the key URI must match exactly one private key.
    func loadKey(fileCertificate: Certificate?) throws(HelperError) -> (Certificate?, PKCS11SigningKey) {
        try state.withLock { (state) throws(HelperError) -> (Certificate?, PKCS11SigningKey) in
            do throws(HelperError) {
                return try loadLocked(fileCertificate: fileCertificate, &state)
            } catch {
                // Start afresh at the next refresh (a token removed and put back, a session the module dropped).
                if let session = state.session { state.module?.closeSession(session) }
                state.session = nil
                state.slot = nil
                state.loggedIn = false
                throw error
            }
        }
    }

    /// A slot with a token, and what the URIs match against.
    struct SlotEntry {
        var id: UInt
        var slot: PKCS11Module.SlotInfo
        var token: PKCS11Module.TokenInfo
    }

    /// A certificate object found on a token.
    struct CertificateObject {
        var certificate: Certificate
        var id: [UInt8]?
        var label: [UInt8]?
    }

    private func loadLocked(fileCertificate: Certificate?, _ state: inout State) throws(HelperError) -> (
        Certificate?, PKCS11SigningKey
    ) {
        let module = try loadModule(&state)
        try checkLibrary(module)
        // Slots whose slot or token information cannot be read are passed over, as the official helper does.
        let slots = try module.slotsWithToken().compactMap { id -> SlotEntry? in
            guard let slot = try? module.slotInfo(slot: id), let token = try? module.tokenInfo(slot: id) else {
                return nil
            }
            return SlotEntry(id: id, slot: slot, token: token)
        }
        var certificate = fileCertificate
        var certificateObject: CertificateObject?
        var certificateSlot: UInt?
        if let certificateURI {
            let found = try findCertificate(module, slots, certificateURI, &state)
            certificateObject = found.object
            certificate = found.object.certificate
            certificateSlot = found.slot
        }
        // Without a key URI the certificate URI names the key, with the found certificate's label and id.
        var searchURI: PKCS11URI
        if let keyURI {
            searchURI = keyURI
        } else if var uri = certificateURI {
            if let label = certificateObject?.label { uri.object = label }
            if let id = certificateObject?.id { uri.id = id }
            searchURI = uri
        } else {
            throw HelperError.usage("--private-key or --certificate must be a pkcs11: URI")
        }
        let keySlots = slots.filter { Self.matches(searchURI, $0) }
        let keySlot: SlotEntry
        if keySlots.count == 1 {
            keySlot = keySlots[0]
        } else if let certificateSlot, let slot = keySlots.first(where: { $0.id == certificateSlot }) {
            keySlot = slot
        } else {
            throw HelperError(
                keySlots.isEmpty
                    ? "no PKCS#11 token matches the key URI \(describe(searchURI)) (tokens present: \(Self.labels(slots)))"
                    : "the key URI \(describe(searchURI)) matches \(keySlots.count) PKCS#11 tokens (\(Self.labels(keySlots))); "
                        + "add token= or slot-id= to choose one")
        }
        let session = try keySession(module, slot: keySlot.id, &state)
        try login(module, session, keySlot.token, &state)
        var template = Self.objectTemplate(Self.classPrivateKey, searchURI)
        var candidates = try module.findObjects(session, template)
        // draft-woodhouse-cert-best-practice §8.2: no key with the certificate's label: try its id alone.
        if candidates.isEmpty, keyURI == nil, searchURI.object != nil, let id = certificateObject?.id {
            searchURI.object = nil
            searchURI.id = id
            template = Self.objectTemplate(Self.classPrivateKey, searchURI)
            candidates = try module.findObjects(session, template)
        }
        guard !candidates.isEmpty else {
            throw HelperError(
                "no private key on the token \"\(PKCS11Module.shown(keySlot.token.label))\" matches "
                    + (keyURI == nil ? "the certificate's label or id" : describe(searchURI)))
        }
        guard let certificate else {
            // No certificate to check the key against: the URI must name exactly one key.
            guard candidates.count == 1 else {
                throw HelperError(
                    "\(candidates.count) private keys match \(describe(searchURI)) and there is no certificate to "
                        + "tell them apart; add object= or id=")
            }
            guard let key = try signingKey(module, session, candidates[0]) else {
                throw HelperError("the private key \(describe(searchURI)) is neither RSA nor EC")
            }
            return (nil, key)
        }
        let publicKey: PublicKey
        do { publicKey = try certificate.publicKey } catch {
            throw HelperError("cannot read the certificate's public key: \(error)")
        }
        for object in candidates {
            guard let key = try signingKey(module, session, object) else { continue }
            // The token's key must be the certificate's: sign a probe and verify it with the certificate.
            let probe = Array("anchorage-helper key match probe".utf8)
            let signature = try key.signLocked(probe, digestName: "SHA256", module: module, session: session, &state)
            if publicKey.verifySHA256Signature(signature, over: probe) { return (certificate, key) }
        }
        throw HelperError("no RSA or EC private key on the token matches the certificate")
    }

    /// The key object `object` as a signing key; nil when it is neither RSA nor EC.
    private func signingKey(_ module: PKCS11Module, _ session: UInt, _ object: UInt) throws(HelperError)
        -> PKCS11SigningKey?
    {
        let keyType = try module.attribute(session, object: object, type: Self.attrKeyType)
            .map { bytes in bytes.count == 8 ? bytes.withUnsafeBytes { $0.load(as: UInt.self) } : UInt.max }
        guard let keyType, keyType == 0 || keyType == 3 else { return nil }  // CKK_RSA, CKK_EC
        let always = try module.attribute(session, object: object, type: Self.attrAlwaysAuthenticate)
        return PKCS11SigningKey(
            source: self, object: object, isRSA: keyType == 0, alwaysAuthenticate: always?.first == 1)
    }

    /// The one certificate the URI names, and its slot: searched on every matching token without logging
    /// in (the first token that has any is the certificate's); when none has one and exactly one token
    /// matches, that token is logged in to and searched again (its session becomes the key's session).
    private func findCertificate(
        _ module: PKCS11Module, _ slots: [SlotEntry], _ uri: PKCS11URI, _ state: inout State
    ) throws(HelperError) -> (object: CertificateObject, slot: UInt) {
        let matching = slots.filter { Self.matches(uri, $0) }
        guard !matching.isEmpty else {
            throw HelperError("no PKCS#11 token matches the URI (tokens present: \(Self.labels(slots)))")
        }
        var found: [CertificateObject] = []
        var foundSlot: UInt?
        for slot in matching {
            let reused = state.slot == slot.id ? state.session : nil
            // A token that opens no session is passed over, as the official helper does.
            guard let session = reused ?? (try? module.openSession(slot: slot.id)) else { continue }
            let here: [CertificateObject]
            do { here = try certificates(module, session, matching: uri) } catch {
                if reused == nil { module.closeSession(session) }
                throw error
            }
            if reused == nil { module.closeSession(session) }
            if !here.isEmpty, foundSlot == nil { foundSlot = slot.id }
            found += here
        }
        if found.isEmpty, matching.count == 1, matching[0].token.loginRequired {
            let session = try keySession(module, slot: matching[0].id, &state)
            try login(module, session, matching[0].token, &state)
            found = try certificates(module, session, matching: uri)
            foundSlot = matching[0].id
        }
        guard let first = found.first, let foundSlot else {
            throw HelperError(
                matching.count == 1
                    ? "no certificate on the token matches \(describe(uri))"
                    : "no certificate matches \(describe(uri)) on the \(matching.count) PKCS#11 tokens it matches "
                        + "(\(Self.labels(matching))); private certificates are looked for only when one token "
                        + "matches: add token= or slot-id=")
        }
        guard found.count == 1 else {
            throw HelperError(
                "\(found.count) certificates match the certificate URI; add object=, id= or token= to choose one")
        }
        return (first, foundSlot)
    }

    /// The session on `slot` for the key, kept for the process: the one open already when it is on that slot,
    /// else a new one (the previous one closed).
    private func keySession(_ module: PKCS11Module, slot: UInt, _ state: inout State) throws(HelperError) -> UInt {
        if state.slot == slot, let session = state.session { return session }
        if let session = state.session { module.closeSession(session) }
        state.session = nil
        state.slot = nil
        state.loggedIn = false
        let session = try module.openSession(slot: slot)
        state.slot = slot
        state.session = session
        return session
    }

    /// Whether the slot and its token satisfy every slot and token attribute of `uri`, byte for byte.
    static func matches(_ uri: PKCS11URI, _ entry: SlotEntry) -> Bool {
        func same(_ wanted: [UInt8]?, _ actual: [UInt8]) -> Bool { Self.same(wanted, actual) }
        return (uri.slotID == nil || uri.slotID == entry.id) && same(uri.token, entry.token.label)
            && same(uri.manufacturer, entry.token.manufacturer) && same(uri.serial, entry.token.serial)
            && same(uri.model, entry.token.model) && same(uri.slotDescription, entry.slot.description)
            && same(uri.slotManufacturer, entry.slot.manufacturer)
    }

    /// `library-manufacturer`, `library-description`, `library-version` name the module: one that is not
    /// named is refused rather than searched (the official helper ignores them, which widens the match).
    private func checkLibrary(_ module: PKCS11Module) throws(HelperError) {
        let uris = [certificateURI, keyURI].compactMap { $0 }
        guard
            uris.contains(where: {
                $0.libraryManufacturer != nil || $0.libraryDescription != nil || $0.libraryVersion != nil
            })
        else { return }
        let info = try module.libraryInfo()
        for uri in uris {
            let versionMatches = uri.libraryVersion.map { $0.major == info.major && $0.minor == info.minor } ?? true
            guard Self.same(uri.libraryManufacturer, info.manufacturer),
                Self.same(uri.libraryDescription, info.description), versionMatches
            else {
                throw HelperError(
                    "the PKCS#11 module \(module.path) (\"\(PKCS11Module.shown(info.manufacturer))\", "
                        + "\"\(PKCS11Module.shown(info.description))\" \(info.major).\(info.minor)) does not match "
                        + "the URI's library-manufacturer, library-description or library-version")
            }
        }
    }

    /// Whether a URI attribute (nil: not given, anything matches) is the field `actual`: bytes compared as
    /// bytes (the official helper's rule), the field already without its padding.
    static func same(_ wanted: [UInt8]?, _ actual: [UInt8]) -> Bool { wanted.map { $0.elementsEqual(actual) } ?? true }

    private static func labels(_ slots: [SlotEntry]) -> String {
        slots.isEmpty ? "none" : slots.map { "\"\(PKCS11Module.shown($0.token.label))\"" }.joined(separator: ", ")
    }

    static func objectTemplate(_ objectClass: UInt, _ uri: PKCS11URI) -> [(UInt, PKCS11Module.TemplateValue)] {
        var template: [(UInt, PKCS11Module.TemplateValue)] = [(attrClass, .ulong(objectClass))]
        if let object = uri.object { template.append((attrLabel, .bytes(object))) }
        if let id = uri.id { template.append((attrID, .bytes(id))) }
        return template
    }

    private func describe(_ uri: PKCS11URI) -> String {
        var parts: [String] = []
        if let token = uri.token { parts.append("token=\(String(decoding: token, as: UTF8.self))") }
        if let slot = uri.slotID { parts.append("slot-id=\(slot)") }
        if let object = uri.object { parts.append("object=\(String(decoding: object, as: UTF8.self))") }
        if let id = uri.id { parts.append("id=\(Hex.encode(id))") }
        return PKCS11URI.redacted(TerminalText.escaped("pkcs11:" + parts.joined(separator: ";")))
    }

    private func loadModule(_ state: inout State) throws(HelperError) -> PKCS11Module {
        if let module = state.module { return module }
        let named = libraryPath ?? keyURI?.modulePath ?? certificateURI?.modulePath
        let module: PKCS11Module
        if let named {
            guard !named.utf8.contains(0) else {
                throw HelperError.usage("the PKCS#11 module path contains a NUL byte")
            }
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

    private func certificates(_ module: PKCS11Module, _ session: UInt, matching uri: PKCS11URI) throws(HelperError)
        -> [CertificateObject]
    {
        var result: [CertificateObject] = []
        for object in try module.findObjects(session, Self.objectTemplate(Self.classCertificate, uri)) {
            guard let der = try module.attribute(session, object: object, type: Self.attrValue),
                let certificate = try? Certificate(derBytes: der)
            else { continue }
            result.append(
                CertificateObject(
                    certificate: certificate, id: try module.attribute(session, object: object, type: Self.attrID),
                    label: try module.attribute(session, object: object, type: Self.attrLabel)))
        }
        return result
    }

    /// Logs the session in as the user, once: the PIN comes from the URI (`pin-value`, `pin-source`), else
    /// the terminal. A wrong PIN or a locked token is an error before anything is signed or sent.
    private func login(_ module: PKCS11Module, _ session: UInt, _ token: PKCS11Module.TokenInfo, _ state: inout State)
        throws(HelperError)
    {
        guard !state.loggedIn else { return }
        // The flags as they are now (a PIN locked since the slots were listed).
        let info = (try? module.tokenInfo(slot: state.slot ?? 0)) ?? token
        guard info.loginRequired else {
            state.loggedIn = true
            return
        }
        let label = PKCS11Module.shown(info.label)
        if info.pinLocked { throw HelperError("the PKCS#11 token \"\(label)\" is locked (user PIN locked)") }
        var pin = state.pin
        if pin == nil { pin = try pinFromURIs() }
        if pin == nil, var typed = try askPIN("PIN for the PKCS#11 token \"\(label)\": ") {
            pin = PINBytes(taking: &typed)
        }
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
            state.pin = nil
            throw HelperError("wrong PIN for the PKCS#11 token \"\(label)\"")
        case 0xA4:
            throw HelperError("the PKCS#11 token \"\(label)\" is locked (user PIN locked)")
        default:
            throw HelperError("cannot log in to the PKCS#11 token \"\(label)\" (\(PKCS11Module.name(of: rv)))")
        }
    }

    /// The PIN the URIs give (the key URI's first): `pin-value`, or the file `pin-source` names.
    private func pinFromURIs() throws(HelperError) -> PINBytes? {
        for uri in [keyURI, certificateURI].compactMap({ $0 }) {
            if var bytes = uri.pinValue {
                // The bytes as percent-decoded: a PIN need not be UTF-8.
                return PINBytes(taking: &bytes)
            }
            if let source = uri.pinSource {
                // A path or a file: URI (file:/p, file:///p), absolute as go-pkcs11uri requires.
                var path = Substring(source)
                if path.hasPrefix("file://") {
                    path = path.dropFirst("file://".count)
                } else if path.hasPrefix("file:") {
                    path = path.dropFirst("file:".count)
                }
                guard path.hasPrefix("/") else {
                    throw HelperError.usage("pkcs11: URI: pin-source must be an absolute path or a file: URI")
                }
                return try PINFile.read(String(path))
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

    /// The PIN for a key's context-specific login: the user PIN with `--reuse-pin`, else the key PIN typed
    /// earlier in this process, else asked for (once: it is kept until the process ends or it is refused).
    func contextPIN(_ state: inout State) throws(HelperError) -> PINBytes {
        if reusePin, let pin = state.pin { return pin }
        if reusePin, let pin = try pinFromURIs() { return pin }
        if let pin = state.keyPIN { return pin }
        guard var typed = try askPIN("PIN for the PKCS#11 private key: ") else {
            throw HelperError(
                "the PKCS#11 private key asks for its PIN at every use: pass --reuse-pin or run from a terminal")
        }
        let pin = PINBytes(taking: &typed)
        state.keyPIN = pin
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
                // A refused key PIN is not offered again (each wrong one counts against the key's retries).
                if state.keyPIN === pin { state.keyPIN = nil }
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
